using System.Globalization;
using System.Reflection;
using System.Xml.Linq;
using Virtwire.Protocol;
using Virtwire.Rpc;

namespace Virtwire.Drivers.Test;

/// <summary>
/// Loads libvirt's test node format: <c>&lt;node&gt;</c> with cpu, memory, domains, networks and pools,
/// each inline or in a <c>file=</c> next to the node file. <c>test:///default</c> is such a document too.
/// </summary>
internal static class TestNodeFile
{
    private const string TestNamespace = "http://libvirt.org/schemas/domain/test/1.0";

    public static TestState LoadDefault()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("default-node.xml")
            ?? throw new InvalidOperationException("missing resource default-node.xml");
        var state = Load(XElement.Load(stream), baseDirectory: null);

        // The default node has two NUMA cells of 2 and 4 GiB, half of each free.
        state.Cells = [new TestCell(2097152, 1048576), new TestCell(4194304, 2097152)];
        return state;
    }

    public static TestState Load(string path)
    {
        XElement root;
        try
        {
            root = XElement.Load(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Xml.XmlException)
        {
            throw XmlError(VirtErrorDomain.Test, $"failed to parse xml document '{path}'");
        }

        if (root.Name.LocalName != "node")
        {
            throw XmlError(VirtErrorDomain.Xml, $"expecting root element of 'node', not '{root.Name.LocalName}'");
        }

        return Load(root, Path.GetDirectoryName(path));
    }

    private static RpcRemoteException XmlError(VirtErrorDomain domain, string detail) =>
        DriverErrors.Create(VirtErrorCode.XmlError, domain, "XML error: " + detail, "XML error: %s", detail);

    private static TestState Load(XElement root, string? baseDirectory)
    {
        var state = new TestState();
        var cpu = root.Element("cpu");
        var node = state.Node;
        int Int(string name, int fallback) =>
            int.TryParse((string?)cpu?.Element(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : fallback;
        var nodes = Int("nodes", node.Nodes);
        var sockets = Int("sockets", node.Sockets);
        var cores = Int("cores", node.Cores);
        var threads = Int("threads", node.Threads);
        var cpus = nodes * sockets * cores * threads;
        state.Node = node with
        {
            Nodes = nodes,
            Sockets = sockets,
            Cores = cores,
            Threads = threads,
            Cpus = Math.Min(Int("active", cpus), cpus),
            Mhz = Int("mhz", node.Mhz),
            Model = ((string?)cpu?.Element("model"))?.Trim() ?? node.Model,
            MemoryKiB = LibvirtXml.ParseKiB(root.Element("memory"), node.MemoryKiB),
        };

        XElement Resolve(XElement element)
        {
            var file = (string?)element.Attribute("file");
            if (file is null)
            {
                return element;
            }

            var full = Path.IsPathRooted(file) || baseDirectory is null ? file : Path.Combine(baseDirectory, file);
            try
            {
                return XElement.Load(full);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Xml.XmlException)
            {
                throw XmlError(VirtErrorDomain.Test, $"failed to parse xml document '{full}'");
            }
        }

        foreach (var element in root.Elements("domain"))
        {
            var resolved = Resolve(element);
            var (name, uuid, def) = TestDomainXml.Parse(resolved);
            var transient = resolved.Element(XName.Get("transient", TestNamespace)) is not null;
            var runstate = int.TryParse((string?)resolved.Element(XName.Get("runstate", TestNamespace)), NumberStyles.None, CultureInfo.InvariantCulture, out var r)
                ? (DomainState)r
                : DomainState.Running;
            var domain = new TestDomain { Name = name, Uuid = uuid, Config = transient ? null : def };
            if (runstate != DomainState.Shutoff)
            {
                domain.Live = transient ? def : def.Clone();
                domain.KeepsIdOnStop = transient;
                domain.Id = state.NextId++;
            }

            // Loaded domains carry no reason, whatever their state.
            domain.State = runstate;
            domain.Reason = 0;
            state.Domains.Add(domain);
        }

        foreach (var element in root.Elements("network"))
        {
            var network = TestConnection.ParseNetwork(Resolve(element));
            network.Active = true;
            state.Networks.Add(network);
        }

        foreach (var element in root.Elements("pool"))
        {
            var resolved = Resolve(element);
            var pool = TestConnection.ParsePool(resolved);
            pool.Active = true;
            foreach (var volume in resolved.Elements("volume"))
            {
                TestConnection.AddVolume(pool, TestConnection.ParseVolume(pool, Resolve(volume)));
            }

            state.Pools.Add(pool);
        }

        return state;
    }
}
