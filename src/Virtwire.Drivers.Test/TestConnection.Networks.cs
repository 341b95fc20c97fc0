using System.Text;
using System.Xml.Linq;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Drivers.Test;

internal sealed partial class TestConnection
{
    /// <summary>libvirt's list filter for one group of bits: no bit set keeps everything.</summary>
    private static bool Pick(uint flags, uint yes, uint no, bool value) =>
        (flags & (yes | no)) == 0 || (value ? (flags & yes) != 0 : (flags & no) != 0);

    public ValueTask<IReadOnlyList<NetworkRef>> ListNetworksAsync(ListNetworksFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, 0x3F, "testConnectListAllNetworks");
        var f = (uint)flags;
        return ValueTask.FromResult<IReadOnlyList<NetworkRef>>(_state.Read(() => _state.Networks
            .Where(n => Pick(f, 2, 1, n.Active) && Pick(f, 4, 8, n.Persistent) && Pick(f, 16, 32, n.Autostart))
            .Select(n => n.Ref).ToArray()));
    }

    public ValueTask<NetworkRef> LookupNetworkByNameAsync(string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
            (_state.Networks.FirstOrDefault(n => n.Name == name) ?? throw TestState.NoNetwork($"no network with matching name '{name}'")).Ref));

    public ValueTask<NetworkRef> LookupNetworkByUuidAsync(XdrUuid uuid, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
            (_state.Networks.FirstOrDefault(n => n.Uuid == uuid) ?? throw TestState.NoNetwork($"no network with matching uuid '{uuid}'")).Ref));

    public ValueTask<string> GetNetworkXmlAsync(NetworkRef network, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testNetworkGetXMLDesc");
        return ValueTask.FromResult(_state.Read(() => FormatNetwork(_state.FindNetwork(network))));
    }

    public ValueTask<string> GetNetworkBridgeNameAsync(NetworkRef network, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
        {
            var n = _state.FindNetwork(network);
            return n.Bridge ?? throw TestState.Internal($"network '{n.Name}' does not have a bridge name.");
        }));

    public ValueTask<bool> IsNetworkActiveAsync(NetworkRef network, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindNetwork(network).Active));

    public ValueTask<bool> IsNetworkPersistentAsync(NetworkRef network, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindNetwork(network).Persistent));

    public ValueTask<bool> GetNetworkAutostartAsync(NetworkRef network, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindNetwork(network).Autostart));

    public ValueTask SetNetworkAutostartAsync(NetworkRef network, bool autostart, CancellationToken cancellationToken)
    {
        _state.Mutate(_ => _state.FindNetwork(network).Autostart = autostart);
        return Done();
    }

    public ValueTask StartNetworkAsync(NetworkRef network, CancellationToken cancellationToken)
    {
        _state.Mutate(events =>
        {
            var n = _state.FindNetwork(network);
            if (n.Active)
            {
                throw TestState.Invalid(VirtErrorDomain.Test, $"Network '{n.Name}' is already running");
            }

            n.Active = true;
            events.Add(new NetworkLifecycleDriverEvent(n.Ref, NetworkLifecycleEvent.Started, 0));
            return 0;
        });
        return Done();
    }

    public ValueTask<NetworkRef> CreateNetworkAsync(string xml, CancellationToken cancellationToken)
    {
        var parsed = ParseNetwork(LibvirtXml.Parse(xml, "network_definition", VirtErrorDomain.Network));
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            var existing = CheckNetworkDuplicate(parsed);
            if (existing is not null)
            {
                if (existing.Active)
                {
                    throw TestState.Invalid(VirtErrorDomain.Network, $"network is already active as '{existing.Name}'");
                }

                existing.Xml = parsed.Xml;
                existing.Bridge = parsed.Bridge;
                parsed = existing;
            }
            else
            {
                parsed.Persistent = false;
                _state.Networks.Add(parsed);
            }

            parsed.Active = true;
            events.Add(new NetworkLifecycleDriverEvent(parsed.Ref, NetworkLifecycleEvent.Started, 0));
            return parsed.Ref;
        }));
    }

    public ValueTask<NetworkRef> DefineNetworkAsync(string xml, CancellationToken cancellationToken)
    {
        var parsed = ParseNetwork(LibvirtXml.Parse(xml, "network_definition", VirtErrorDomain.Network));
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            var existing = CheckNetworkDuplicate(parsed);
            if (existing is not null)
            {
                existing.Xml = parsed.Xml;
                existing.Bridge = parsed.Bridge;
                existing.Persistent = true;
                events.Add(new NetworkLifecycleDriverEvent(existing.Ref, NetworkLifecycleEvent.Defined, 0));
                return existing.Ref;
            }

            _state.Networks.Add(parsed);
            events.Add(new NetworkLifecycleDriverEvent(parsed.Ref, NetworkLifecycleEvent.Defined, 0));
            return parsed.Ref;
        }));
    }

    /// <summary>Same rules as for domains: a known UUID must keep its name, a known name its UUID.</summary>
    private TestNetwork? CheckNetworkDuplicate(TestNetwork parsed)
    {
        var byUuid = _state.Networks.FirstOrDefault(n => n.Uuid == parsed.Uuid);
        if (byUuid is not null)
        {
            return byUuid.Name == parsed.Name
                ? byUuid
                : throw TestState.OperationFailed(VirtErrorDomain.Network, $"network '{byUuid.Name}' is already defined with uuid {byUuid.Uuid}");
        }

        var byName = _state.Networks.FirstOrDefault(n => n.Name == parsed.Name);
        return byName is null
            ? null
            : throw TestState.OperationFailed(VirtErrorDomain.Network, $"network '{byName.Name}' already exists with uuid {byName.Uuid}");
    }

    public ValueTask DestroyNetworkAsync(NetworkRef network, CancellationToken cancellationToken)
    {
        _state.Mutate(events =>
        {
            // libvirt 9's test driver stops an inactive network too, and says so with an event.
            var n = _state.FindNetwork(network);
            n.Active = false;
            events.Add(new NetworkLifecycleDriverEvent(n.Ref, NetworkLifecycleEvent.Stopped, 0));
            if (!n.Persistent)
            {
                _state.Networks.Remove(n);
            }

            return 0;
        });
        return Done();
    }

    public ValueTask UndefineNetworkAsync(NetworkRef network, CancellationToken cancellationToken)
    {
        _state.Mutate(events =>
        {
            var n = _state.FindNetwork(network);
            if (n.Active)
            {
                throw TestState.Invalid(VirtErrorDomain.Test, $"Network '{n.Name}' is still running");
            }

            _state.Networks.Remove(n);
            events.Add(new NetworkLifecycleDriverEvent(n.Ref, NetworkLifecycleEvent.Undefined, 0));
            return 0;
        });
        return Done();
    }

    internal static TestNetwork ParseNetwork(XElement root)
    {
        if (root.Name.LocalName != "network")
        {
            var detail = $"expecting root element of 'network', not '{root.Name.LocalName}'";
            throw DriverErrors.Create(VirtErrorCode.XmlError, VirtErrorDomain.Xml, "XML error: " + detail, "XML error: %s", detail);
        }

        var name = ((string?)root.Element("name"))?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            throw DriverErrors.Create(VirtErrorCode.NoName, VirtErrorDomain.Network, "missing name information");
        }

        var uuid = XdrUuid.NewRandom();
        var uuidText = (string?)root.Element("uuid");
        if (uuidText is not null && !XdrUuid.TryParse(uuidText.Trim(), out uuid))
        {
            const string Detail = "malformed uuid element";
            throw DriverErrors.Create(VirtErrorCode.InternalError, VirtErrorDomain.Network, "internal error: " + Detail, "internal error: %s", Detail);
        }

        return new TestNetwork
        {
            Name = name,
            Uuid = uuid,
            Bridge = (string?)root.Element("bridge")?.Attribute("name"),
            Xml = new XElement(root),
        };
    }

    /// <summary>Prints a network in libvirt's element order, with the defaults libvirt fills in.</summary>
    private static string FormatNetwork(TestNetwork n)
    {
        var xml = n.Xml;
        var b = new StringBuilder();
        b.Append("<network>\n");
        b.Append("  <name>").Append(LibvirtXml.Escape(n.Name, false)).Append("</name>\n");
        b.Append("  <uuid>").Append(n.Uuid.ToString()).Append("</uuid>\n");
        var forward = xml.Element("forward");
        var mode = (string?)forward?.Attribute("mode") ?? (forward is null ? null : "nat");
        if (forward is not null)
        {
            var copy = new XElement(forward);
            copy.SetAttributeValue("mode", null);
            copy.ReplaceAttributes(new XAttribute("mode", mode!), copy.Attributes());
            LibvirtXml.Format(b, copy, 2);
        }

        var bridge = xml.Element("bridge");
        if (mode is null or "nat" or "route" or "open")
        {
            // Networks with a host bridge always show its spanning-tree settings.
            b.Append("  <bridge");
            if (bridge?.Attribute("name") is { } bridgeName)
            {
                b.Append(" name='").Append(LibvirtXml.Escape(bridgeName.Value, true)).Append('\'');
            }

            b.Append(" stp='").Append((string?)bridge?.Attribute("stp") ?? "on").Append('\'');
            b.Append(" delay='").Append((string?)bridge?.Attribute("delay") ?? "0").Append("'/>\n");
        }
        else if (bridge is not null)
        {
            LibvirtXml.Format(b, bridge, 2);
        }

        foreach (var kind in new[] { "mtu", "mac", "domain", "dns" })
        {
            foreach (var element in xml.Elements(kind))
            {
                LibvirtXml.Format(b, element, 2);
            }
        }

        foreach (var ip in xml.Elements("ip"))
        {
            // An address block is always printed open, even when it has nothing inside.
            var copy = new XElement(ip.Name, ip.Attributes());
            var text = new StringBuilder();
            LibvirtXml.Format(text, copy, 2);
            b.Append(text.ToString().Replace("/>\n", ">\n", StringComparison.Ordinal));
            foreach (var child in ip.Elements())
            {
                LibvirtXml.Format(b, child, 4);
            }

            b.Append("  </ip>\n");
        }

        foreach (var route in xml.Elements("route"))
        {
            LibvirtXml.Format(b, route, 2);
        }

        b.Append("</network>\n");
        return b.ToString();
    }
}
