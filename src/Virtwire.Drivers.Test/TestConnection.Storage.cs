using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Drivers.Test;

internal sealed partial class TestConnection
{
    private const ulong DefaultPoolCapacity = 100UL * 1024 * 1024 * 1024;

    // Pool types in the order of their VIR_CONNECT_LIST_STORAGE_POOLS_* bits, starting at 1 << 6.
    private static readonly string[] PoolTypes =
        ["dir", "fs", "netfs", "logical", "disk", "iscsi", "scsi", "mpath", "rbd", "sheepdog", "gluster", "zfs", "vstorage", "iscsi-direct"];

    public ValueTask<IReadOnlyList<StoragePoolRef>> ListStoragePoolsAsync(ListStoragePoolsFlags flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags((uint)flags, 0xFFFFF, "testConnectListAllStoragePools");
        var f = (uint)flags;
        return ValueTask.FromResult<IReadOnlyList<StoragePoolRef>>(_state.Read(() => _state.Pools
            .Where(p => Pick(f, 2, 1, p.Active) && Pick(f, 4, 8, p.Persistent) && Pick(f, 16, 32, p.Autostart) &&
                ((f & ~0x3Fu) == 0 || (f & PoolTypeBit(p)) != 0))
            .Select(p => p.Ref).ToArray()));
    }

    private static uint PoolTypeBit(TestPool pool)
    {
        var index = Array.IndexOf(PoolTypes, (string?)pool.Xml.Attribute("type"));
        return index < 0 ? 0 : 1u << (6 + index);
    }

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

    public ValueTask<string> GetStoragePoolXmlAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testStoragePoolGetXMLDesc");
        return ValueTask.FromResult(_state.Read(() => FormatPool(_state.FindPool(pool))));
    }

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

    private static RpcRemoteException PoolActive(TestPool p) => TestState.Invalid(VirtErrorDomain.Test, $"storage pool '{p.Name}' is active");

    private static RpcRemoteException PoolInactive(TestPool p) => TestState.Invalid(VirtErrorDomain.Test, $"storage pool '{p.Name}' is not active");

    public ValueTask StartStoragePoolAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testStoragePoolCreate");
        _state.Mutate(events =>
        {
            var p = _state.FindPool(pool);
            if (p.Active)
            {
                throw PoolActive(p);
            }

            p.Active = true;
            events.Add(new StoragePoolLifecycleDriverEvent(p.Ref, StoragePoolLifecycleEvent.Started, 0));
            return 0;
        });
        return Done();
    }

    public ValueTask<StoragePoolRef> CreateStoragePoolAsync(string xml, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testStoragePoolCreateXML");
        var parsed = ParsePool(LibvirtXml.Parse(xml, "pool_definition", VirtErrorDomain.Storage));
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            var existing = CheckPoolDuplicate(parsed);
            if (existing is not null)
            {
                throw TestState.Invalid(VirtErrorDomain.Storage, $"pool is already active as '{existing.Name}'");
            }

            parsed.Active = true;
            parsed.Persistent = false;
            _state.Pools.Add(parsed);
            events.Add(new StoragePoolLifecycleDriverEvent(parsed.Ref, StoragePoolLifecycleEvent.Started, 0));
            return parsed.Ref;
        }));
    }

    public ValueTask<StoragePoolRef> DefineStoragePoolAsync(string xml, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testStoragePoolDefineXML");
        var parsed = ParsePool(LibvirtXml.Parse(xml, "pool_definition", VirtErrorDomain.Storage));
        return ValueTask.FromResult(_state.Mutate(events =>
        {
            var existing = CheckPoolDuplicate(parsed);
            if (existing is not null)
            {
                existing.Xml = parsed.Xml;
                existing.Persistent = true;
                events.Add(new StoragePoolLifecycleDriverEvent(existing.Ref, StoragePoolLifecycleEvent.Defined, 0));
                return existing.Ref;
            }

            _state.Pools.Add(parsed);
            events.Add(new StoragePoolLifecycleDriverEvent(parsed.Ref, StoragePoolLifecycleEvent.Defined, 0));
            return parsed.Ref;
        }));
    }

    private TestPool? CheckPoolDuplicate(TestPool parsed)
    {
        var byUuid = _state.Pools.FirstOrDefault(p => p.Uuid == parsed.Uuid);
        if (byUuid is not null)
        {
            return byUuid.Name == parsed.Name
                ? byUuid
                : throw TestState.OperationFailed(VirtErrorDomain.Storage, $"pool '{byUuid.Name}' is already defined with uuid {byUuid.Uuid}");
        }

        var byName = _state.Pools.FirstOrDefault(p => p.Name == parsed.Name);
        return byName is null
            ? null
            : throw TestState.OperationFailed(VirtErrorDomain.Storage, $"pool '{byName.Name}' already exists with uuid {byName.Uuid}");
    }

    public ValueTask DestroyStoragePoolAsync(StoragePoolRef pool, CancellationToken cancellationToken)
    {
        _state.Mutate(events =>
        {
            var p = _state.FindPool(pool);
            if (!p.Active)
            {
                throw PoolInactive(p);
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
                throw PoolActive(p);
            }

            _state.Pools.Remove(p);
            events.Add(new StoragePoolLifecycleDriverEvent(p.Ref, StoragePoolLifecycleEvent.Undefined, 0));
            return 0;
        });
        return Done();
    }

    public ValueTask BuildStoragePoolAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0x7, "testStoragePoolBuild");
        _state.Mutate(events =>
        {
            var p = _state.FindPool(pool);
            if (p.Active)
            {
                throw PoolActive(p);
            }

            events.Add(new StoragePoolLifecycleDriverEvent(p.Ref, StoragePoolLifecycleEvent.Created, 0));
            return 0;
        });
        return Done();
    }

    public ValueTask RefreshStoragePoolAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testStoragePoolRefresh");
        _state.Mutate(events =>
        {
            var p = _state.FindPool(pool);
            if (!p.Active)
            {
                throw PoolInactive(p);
            }

            events.Add(new StoragePoolRefreshDriverEvent(p.Ref));
            return 0;
        });
        return Done();
    }

    public ValueTask DeleteStoragePoolAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0x3, "testStoragePoolDelete");
        _state.Mutate(events =>
        {
            var p = _state.FindPool(pool);
            if (p.Active)
            {
                throw PoolActive(p);
            }

            events.Add(new StoragePoolLifecycleDriverEvent(p.Ref, StoragePoolLifecycleEvent.Deleted, 0));
            return 0;
        });
        return Done();
    }

    internal static TestPool ParsePool(XElement root)
    {
        if (root.Name.LocalName != "pool")
        {
            throw XmlError(VirtErrorDomain.Xml, $"expecting root element of 'pool', not '{root.Name.LocalName}'");
        }

        var type = (string?)root.Attribute("type");
        if (type is null)
        {
            throw XmlError(VirtErrorDomain.Xml, "Missing required attribute 'type' in element 'pool'");
        }

        if (!PoolTypes.Contains(type))
        {
            throw XmlError(VirtErrorDomain.Xml, $"Invalid value for attribute 'type' in element 'pool': '{type}'.");
        }

        var name = ((string?)root.Element("name"))?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            throw XmlError(VirtErrorDomain.Storage, "missing pool source name element");
        }

        var uuid = XdrUuid.NewRandom();
        var uuidText = (string?)root.Element("uuid");
        if (uuidText is not null && !XdrUuid.TryParse(uuidText.Trim(), out uuid))
        {
            const string Detail = "malformed uuid element";
            throw DriverErrors.Create(VirtErrorCode.InternalError, VirtErrorDomain.Storage, "internal error: " + Detail, "internal error: %s", Detail);
        }

        if (string.IsNullOrWhiteSpace((string?)root.Element("target")?.Element("path")))
        {
            throw XmlError(VirtErrorDomain.Storage, "missing storage pool target path");
        }

        return new TestPool
        {
            Name = name,
            Uuid = uuid,
            Capacity = DefaultPoolCapacity,
            Allocation = 0,
            Available = DefaultPoolCapacity,
            Xml = new XElement(root),
        };
    }

    private static RpcRemoteException XmlError(VirtErrorDomain domain, string detail) =>
        DriverErrors.Create(VirtErrorCode.XmlError, domain, "XML error: " + detail, "XML error: %s", detail);

    private static string FormatPool(TestPool p)
    {
        var b = new StringBuilder();
        b.Append("<pool type='").Append((string?)p.Xml.Attribute("type")).Append("'>\n");
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
        b.Append("    <path>").Append(LibvirtXml.Escape(p.TargetPath, false)).Append("</path>\n");
        foreach (var child in p.Xml.Element("target")?.Elements().Where(e => e.Name.LocalName != "path") ?? [])
        {
            LibvirtXml.Format(b, child, 4);
        }

        b.Append("  </target>\n");
        b.Append("</pool>\n");
        return b.ToString();
    }
}
