using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Drivers.Test;

internal sealed partial class TestConnection
{
    private static bool Pick(uint flags, uint yes, uint no, bool value) =>
        (flags & (yes | no)) == 0 || (flags & (yes | no)) == (yes | no) || (value ? (flags & yes) != 0 : (flags & no) != 0);

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

    public ValueTask<string> GetNetworkXmlAsync(NetworkRef network, uint flags, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => LibvirtXml.Format(_state.FindNetwork(network).Xml)));

    public ValueTask<string> GetNetworkBridgeNameAsync(NetworkRef network, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindNetwork(network).Bridge));

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
        var parsed = ParseNetwork(LibvirtXml.Parse(xml, "network_definition"));
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            CheckNetworkDuplicate(parsed);
            parsed.Active = true;
            parsed.Persistent = false;
            _state.Networks.Add(parsed);
            events.Add(new NetworkLifecycleDriverEvent(parsed.Ref, NetworkLifecycleEvent.Started, 0));
            return parsed.Ref;
        }));
    }

    public ValueTask<NetworkRef> DefineNetworkAsync(string xml, CancellationToken cancellationToken)
    {
        var parsed = ParseNetwork(LibvirtXml.Parse(xml, "network_definition"));
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            var existing = _state.Networks.FirstOrDefault(n => n.Uuid == parsed.Uuid && n.Name == parsed.Name);
            if (existing is not null)
            {
                existing.Xml = parsed.Xml;
                existing.Bridge = parsed.Bridge;
                existing.Persistent = true;
                events.Add(new NetworkLifecycleDriverEvent(existing.Ref, NetworkLifecycleEvent.Defined, 0));
                return existing.Ref;
            }

            CheckNetworkDuplicate(parsed);
            _state.Networks.Add(parsed);
            events.Add(new NetworkLifecycleDriverEvent(parsed.Ref, NetworkLifecycleEvent.Defined, 0));
            return parsed.Ref;
        }));
    }

    private void CheckNetworkDuplicate(TestNetwork parsed)
    {
        var clash = _state.Networks.FirstOrDefault(n => n.Name == parsed.Name || n.Uuid == parsed.Uuid);
        if (clash is not null)
        {
            var detail = $"network '{clash.Name}' already exists with uuid {clash.Uuid}";
            throw DriverErrors.Create(VirtErrorCode.OperationFailed, VirtErrorDomain.Network, "operation failed: " + detail, "operation failed: %s", detail);
        }
    }

    public ValueTask DestroyNetworkAsync(NetworkRef network, CancellationToken cancellationToken)
    {
        _state.Mutate(events =>
        {
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
                n.Persistent = false;
            }
            else
            {
                _state.Networks.Remove(n);
            }

            events.Add(new NetworkLifecycleDriverEvent(n.Ref, NetworkLifecycleEvent.Undefined, 0));
            return 0;
        });
        return Done();
    }

    internal static TestNetwork ParseNetwork(XElement root)
    {
        var name = ((string?)root.Element("name"))?.Trim();
        if (root.Name.LocalName != "network" || string.IsNullOrEmpty(name))
        {
            throw DriverErrors.Create(VirtErrorCode.NoName, VirtErrorDomain.Network, "missing name information");
        }

        var uuid = XdrUuid.TryParse((string?)root.Element("uuid"), out var u) ? u : NewUuid();
        var xml = new XElement(root);
        if (xml.Element("uuid") is null)
        {
            xml.Element("name")!.AddAfterSelf(new XElement("uuid", uuid.ToString()));
        }

        return new TestNetwork
        {
            Name = name,
            Uuid = uuid,
            Bridge = (string?)root.Element("bridge")?.Attribute("name") ?? string.Empty,
            Xml = xml,
        };
    }

    // Storage pools

    public ValueTask<IReadOnlyList<StoragePoolRef>> ListStoragePoolsAsync(ListStoragePoolsFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, 0xFFFFF, "testConnectListAllStoragePools");
        var f = (uint)flags;
        return ValueTask.FromResult<IReadOnlyList<StoragePoolRef>>(_state.Read(() => _state.Pools
            .Where(p => Pick(f, 2, 1, p.Active) && Pick(f, 4, 8, p.Persistent) && Pick(f, 16, 32, p.Autostart) &&
                ((f & ~0x3Fu) == 0 || PoolTypeMatches(p, f)))
            .Select(p => p.Ref).ToArray()));
    }

    private static bool PoolTypeMatches(TestPool pool, uint flags) =>
        (string?)pool.Xml.Attribute("type") switch
        {
            "dir" => (flags & (uint)ListStoragePoolsFlags.Dir) != 0,
            "fs" => (flags & (uint)ListStoragePoolsFlags.Fs) != 0,
            "netfs" => (flags & (uint)ListStoragePoolsFlags.NetFs) != 0,
            "logical" => (flags & (uint)ListStoragePoolsFlags.Logical) != 0,
            "disk" => (flags & (uint)ListStoragePoolsFlags.Disk) != 0,
            _ => false,
        };

    public ValueTask<StoragePoolRef> LookupStoragePoolByNameAsync(string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
            (_state.Pools.FirstOrDefault(p => p.Name == name) ?? throw TestState.NoPool($"no storage pool with matching name '{name}'")).Ref));

    public ValueTask<StoragePoolRef> LookupStoragePoolByUuidAsync(XdrUuid uuid, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
            (_state.Pools.FirstOrDefault(p => p.Uuid == uuid) ?? throw TestState.NoPool($"no storage pool with matching uuid '{uuid}'")).Ref));

    public ValueTask<StoragePoolInfo> GetStoragePoolInfoAsync(StoragePoolRef pool, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
        {
            var p = _state.FindPool(pool);
            return new StoragePoolInfo(p.Active ? StoragePoolState.Running : StoragePoolState.Inactive, p.Capacity, p.Allocation, p.Available);
        }));

    public ValueTask<string> GetStoragePoolXmlAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => FormatPool(_state.FindPool(pool))));

    public ValueTask<bool> IsStoragePoolActiveAsync(StoragePoolRef pool, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindPool(pool).Active));

    public ValueTask<bool> IsStoragePoolPersistentAsync(StoragePoolRef pool, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindPool(pool).Persistent));

    public ValueTask<bool> GetStoragePoolAutostartAsync(StoragePoolRef pool, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.FindPool(pool).Autostart));

    public ValueTask SetStoragePoolAutostartAsync(StoragePoolRef pool, bool autostart, CancellationToken cancellationToken)
    {
        _state.Mutate(_ => _state.FindPool(pool).Autostart = autostart);
        return Done();
    }

    public ValueTask StartStoragePoolAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken)
    {
        _state.Mutate(events =>
        {
            var p = _state.FindPool(pool);
            if (p.Active)
            {
                throw TestState.Invalid(VirtErrorDomain.Test, $"storage pool '{p.Name}' is already active");
            }

            p.Active = true;
            events.Add(new StoragePoolLifecycleDriverEvent(p.Ref, StoragePoolLifecycleEvent.Started, 0));
            return 0;
        });
        return Done();
    }

    public ValueTask<StoragePoolRef> CreateStoragePoolAsync(string xml, uint flags, CancellationToken cancellationToken)
    {
        var parsed = ParsePool(LibvirtXml.Parse(xml, "pool_definition"));
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            CheckPoolDuplicate(parsed);
            parsed.Active = true;
            parsed.Persistent = false;
            _state.Pools.Add(parsed);
            events.Add(new StoragePoolLifecycleDriverEvent(parsed.Ref, StoragePoolLifecycleEvent.Started, 0));
            return parsed.Ref;
        }));
    }

    public ValueTask<StoragePoolRef> DefineStoragePoolAsync(string xml, uint flags, CancellationToken cancellationToken)
    {
        var parsed = ParsePool(LibvirtXml.Parse(xml, "pool_definition"));
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            CheckPoolDuplicate(parsed);
            _state.Pools.Add(parsed);
            events.Add(new StoragePoolLifecycleDriverEvent(parsed.Ref, StoragePoolLifecycleEvent.Defined, 0));
            return parsed.Ref;
        }));
    }

    private void CheckPoolDuplicate(TestPool parsed)
    {
        var clash = _state.Pools.FirstOrDefault(p => p.Name == parsed.Name || p.Uuid == parsed.Uuid);
        if (clash is not null)
        {
            var detail = $"pool '{clash.Name}' already exists with uuid {clash.Uuid}";
            throw DriverErrors.Create(VirtErrorCode.OperationFailed, VirtErrorDomain.Storage, "operation failed: " + detail, "operation failed: %s", detail);
        }
    }

    public ValueTask DestroyStoragePoolAsync(StoragePoolRef pool, CancellationToken cancellationToken)
    {
        _state.Mutate(events =>
        {
            var p = _state.FindPool(pool);
            if (!p.Active)
            {
                throw TestState.Invalid(VirtErrorDomain.Test, $"storage pool '{p.Name}' is not active");
            }

            p.Active = false;
            events.Add(new StoragePoolLifecycleDriverEvent(p.Ref, StoragePoolLifecycleEvent.Stopped, 0));
            if (!p.Persistent)
            {
                _state.Pools.Remove(p);
            }

            return 0;
        });
        return Done();
    }

    public ValueTask UndefineStoragePoolAsync(StoragePoolRef pool, CancellationToken cancellationToken)
    {
        _state.Mutate(events =>
        {
            var p = _state.FindPool(pool);
            if (p.Active)
            {
                throw TestState.Invalid(VirtErrorDomain.Test, $"storage pool '{p.Name}' is still active");
            }

            _state.Pools.Remove(p);
            events.Add(new StoragePoolLifecycleDriverEvent(p.Ref, StoragePoolLifecycleEvent.Undefined, 0));
            return 0;
        });
        return Done();
    }

    public ValueTask<IReadOnlyList<StorageVolRef>> ListStorageVolumesAsync(StoragePoolRef pool, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<StorageVolRef>>(_state.Read(() =>
        {
            _state.FindPool(pool);
            return Array.Empty<StorageVolRef>();
        }));

    internal static TestPool ParsePool(XElement root)
    {
        var name = ((string?)root.Element("name"))?.Trim();
        if (root.Name.LocalName != "pool" || string.IsNullOrEmpty(name))
        {
            throw DriverErrors.Create(VirtErrorCode.XmlError, VirtErrorDomain.Storage, "XML error: missing pool source name element",
                "XML error: %s", "missing pool source name element");
        }

        var uuid = XdrUuid.TryParse((string?)root.Element("uuid"), out var u) ? u : NewUuid();
        var capacity = LibvirtXml.ParseKiB(root.Element("capacity"), 100UL * 1024 * 1024) * 1024;
        return new TestPool
        {
            Name = name,
            Uuid = uuid,
            Capacity = capacity,
            Allocation = 0,
            Available = capacity,
            Xml = new XElement(root),
        };
    }

    private static string FormatPool(TestPool p)
    {
        var b = new StringBuilder();
        b.Append("<pool type='").Append((string?)p.Xml.Attribute("type") ?? "dir").Append("'>\n");
        b.Append("  <name>").Append(LibvirtXml.Escape(p.Name, false)).Append("</name>\n");
        b.Append("  <uuid>").Append(p.Uuid.ToString()).Append("</uuid>\n");
        b.Append("  <capacity unit='bytes'>").Append(p.Capacity.ToString(CultureInfo.InvariantCulture)).Append("</capacity>\n");
        b.Append("  <allocation unit='bytes'>").Append(p.Allocation.ToString(CultureInfo.InvariantCulture)).Append("</allocation>\n");
        b.Append("  <available unit='bytes'>").Append(p.Available.ToString(CultureInfo.InvariantCulture)).Append("</available>\n");
        b.Append("  <source>\n");
        foreach (var child in p.Xml.Element("source")?.Elements() ?? [])
        {
            LibvirtXml.Format(b, child, 4);
        }

        b.Append("  </source>\n");
        b.Append("  <target>\n");
        foreach (var child in p.Xml.Element("target")?.Elements() ?? [])
        {
            LibvirtXml.Format(b, child, 4);
        }

        b.Append("  </target>\n");
        b.Append("</pool>\n");
        return b.ToString();
    }
}
