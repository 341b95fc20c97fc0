using System.Reflection;
using System.Xml.Linq;
using Virtwire.Protocol;
using Virtwire.Rpc;

namespace Virtwire.Drivers.Test;

/// <summary>
/// libvirt's test driver in managed code: an in-memory hypervisor. <c>test:///default</c> state is shared
/// by all open connections and reset when the last one closes; <c>test:///ABSOLUTE/PATH.xml</c> loads a
/// node description private to its connection.
/// </summary>
public sealed class TestDriver : IVirtDriver
{
    private readonly object _gate = new();
    private TestState? _default;
    private int _defaultUsers;

    public string Scheme => "test";

    internal static string Capabilities { get; } = Resource("capabilities.xml");

    internal static string Sysinfo { get; } = Resource("sysinfo.xml");

    public ValueTask<IDriverConnection> OpenAsync(Uri uri, bool readOnly, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var path = uri.AbsolutePath;
        if (path is "/default" or "/default/")
        {
            lock (_gate)
            {
                _default ??= TestState.CreateDefault();
                _defaultUsers++;
                return ValueTask.FromResult<IDriverConnection>(new TestConnection(this, _default, "test:///default"));
            }
        }

        if (!path.StartsWith('/') || path.Length < 2)
        {
            throw DriverErrors.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Test,
                "invalid argument: testOpen: supplied path must be absolute", "invalid argument: %s", "testOpen: supplied path must be absolute");
        }

        var state = TestNodeFile.Load(path);
        return ValueTask.FromResult<IDriverConnection>(new TestConnection(this, state, "test://" + path));
    }

    internal void Release(TestState state)
    {
        lock (_gate)
        {
            if (ReferenceEquals(state, _default) && --_defaultUsers == 0)
            {
                // libvirt frees the default state with its last connection: the next one starts afresh.
                _default = null;
            }
        }
    }

    private static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException("missing resource " + name);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>Loads libvirt's custom test node format (<c>&lt;node&gt;</c> with cpu, memory, domains, networks, pools).</summary>
internal static class TestNodeFile
{
    public static TestState Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var detail = $"failed to read file '{path}': {ex.Message}";
            throw DriverErrors.Create(VirtErrorCode.SystemError, VirtErrorDomain.Test, detail, "%s", detail);
        }

        var root = LibvirtXml.Parse(text, Path.GetFileName(path));
        if (root.Name.LocalName != "node")
        {
            throw DriverErrors.Create(VirtErrorCode.XmlError, VirtErrorDomain.Test, "XML error: Root element is not 'node'", "XML error: %s", "Root element is not 'node'");
        }

        var state = new TestState();
        var cpu = root.Element("cpu");
        if (cpu is not null || root.Element("memory") is not null)
        {
            var node = state.Node;
            int Int(string name, int fallback) => int.TryParse((string?)cpu?.Element(name), out var v) ? v : fallback;
            var nodes = Int("nodes", node.Nodes);
            var sockets = Int("sockets", node.Sockets);
            var cores = Int("cores", node.Cores);
            var threads = Int("threads", node.Threads);
            state.Node = node with
            {
                Nodes = nodes,
                Sockets = sockets,
                Cores = cores,
                Threads = threads,
                Cpus = Int("active", nodes * sockets * cores * threads),
                Mhz = Int("mhz", node.Mhz),
                Model = (string?)cpu?.Element("model") ?? node.Model,
                MemoryKiB = LibvirtXml.ParseKiB(root.Element("memory"), node.MemoryKiB),
            };
        }

        XElement Resolve(XElement element)
        {
            var file = (string?)element.Attribute("file");
            if (file is null)
            {
                return element;
            }

            var full = Path.IsPathRooted(file) ? file : Path.Combine(Path.GetDirectoryName(path)!, file);
            return LibvirtXml.Parse(File.ReadAllText(full), Path.GetFileName(full));
        }

        foreach (var element in root.Elements("domain"))
        {
            var domain = TestConnection.ParseDomain(state, Resolve(element));
            domain.Persistent = true;
            domain.Id = state.NextId++;
            domain.State = DomainState.Running;
            domain.Reason = (int)DomainRunningReason.Booted;
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
            var pool = TestConnection.ParsePool(Resolve(element));
            pool.Active = true;
            state.Pools.Add(pool);
        }

        return state;
    }
}
