using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Virtwire.Rpc;

namespace Virtwire.Drivers.Test;

/// <summary>Storage volumes: files of a pool, keyed and named by their path.</summary>
internal sealed partial class TestConnection
{
    private const int VolumeTypeFile = 0;

    public ValueTask<IReadOnlyList<StorageVolRef>> ListStorageVolumesAsync(StoragePoolRef pool, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<StorageVolRef>>(_state.Read(() =>
        {
            var p = _state.FindPool(pool);
            if (!p.Active)
            {
                throw TestState.Invalid(VirtErrorDomain.Test, "storage pool is not active");
            }

            return p.Volumes.Select(v => v.Ref(p)).ToArray();
        }));

    private static RpcRemoteException NoVolume(string detail) =>
        DriverErrors.Create(VirtErrorCode.NoStorageVol, VirtErrorDomain.Test, "Storage volume not found: " + detail, "Storage volume not found: %s", detail);

    public ValueTask<StorageVolRef> LookupStorageVolByNameAsync(StoragePoolRef pool, string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
        {
            var p = ActivePool(pool);
            return (p.Volumes.FirstOrDefault(v => v.Name == name) ?? throw NoVolume($"no storage vol with matching name '{name}'")).Ref(p);
        }));

    public ValueTask<StorageVolRef> LookupStorageVolByKeyAsync(string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => FindVolume(v => v.Key == key) ?? throw NoVolume($"no storage vol with matching key '{key}'")));

    public ValueTask<StorageVolRef> LookupStorageVolByPathAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => FindVolume(v => v.Path == path) ?? throw NoVolume($"no storage vol with matching path '{path}'")));

    private StorageVolRef? FindVolume(Func<TestVolume, bool> match)
    {
        foreach (var pool in _state.Pools.Where(p => p.Active))
        {
            var volume = pool.Volumes.FirstOrDefault(match);
            if (volume is not null)
            {
                return volume.Ref(pool);
            }
        }

        return null;
    }

    private TestPool ActivePool(StoragePoolRef pool)
    {
        var p = _state.FindPool(pool);
        return p.Active ? p : throw PoolInactive(p);
    }

    private (TestPool Pool, TestVolume Volume) FindVolume(StorageVolRef volume)
    {
        var pool = _state.Pools.FirstOrDefault(p => p.Name == volume.Pool) ??
            throw TestState.NoPool($"no storage pool with matching name '{volume.Pool}'");
        if (!pool.Active)
        {
            throw PoolInactive(pool);
        }

        var found = pool.Volumes.FirstOrDefault(v => v.Name == volume.Name) ?? throw NoVolume($"no storage vol with matching name '{volume.Name}'");
        return (pool, found);
    }

    public ValueTask<StorageVolInfo> GetStorageVolInfoAsync(StorageVolRef volume, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() =>
        {
            var (_, v) = FindVolume(volume);
            return new StorageVolInfo(VolumeTypeFile, v.Capacity, v.Allocation);
        }));

    public ValueTask<string> GetStorageVolPathAsync(StorageVolRef volume, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => FindVolume(volume).Volume.Path));

    public ValueTask<string> GetStorageVolXmlAsync(StorageVolRef volume, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testStorageVolGetXMLDesc");
        return ValueTask.FromResult(_state.Read(() =>
        {
            var v = FindVolume(volume).Volume;
            var b = new StringBuilder();
            b.Append("<volume type='file'>\n");
            b.Append("  <name>").Append(LibvirtXml.Escape(v.Name, false)).Append("</name>\n");
            b.Append("  <key>").Append(LibvirtXml.Escape(v.Key, false)).Append("</key>\n");
            b.Append("  <capacity unit='bytes'>").Append(v.Capacity.ToString(CultureInfo.InvariantCulture)).Append("</capacity>\n");
            b.Append("  <allocation unit='bytes'>").Append(v.Allocation.ToString(CultureInfo.InvariantCulture)).Append("</allocation>\n");
            b.Append("  <target>\n");
            b.Append("    <path>").Append(LibvirtXml.Escape(v.Path, false)).Append("</path>\n");
            b.Append("    <format type='").Append(LibvirtXml.Escape(v.Format, true)).Append("'/>\n");
            b.Append("  </target>\n");
            b.Append("</volume>\n");
            return b.ToString();
        }));
    }

    public ValueTask<StorageVolRef> CreateStorageVolAsync(StoragePoolRef pool, string xml, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testStorageVolCreateXML");
        var root = LibvirtXml.Parse(xml, "volume_definition", VirtErrorDomain.Storage);
        return ValueTask.FromResult(_state.Mutate(_ =>
        {
            var p = ActivePool(pool);
            var volume = ParseVolume(p, root);
            if (p.Volumes.Any(v => v.Name == volume.Name))
            {
                throw TestState.OperationFailed(VirtErrorDomain.Test, $"storage vol '{volume.Name}' already exists");
            }

            if (volume.Allocation > p.Available)
            {
                throw TestState.OperationFailed(VirtErrorDomain.Test, $"Not enough free space in pool for volume '{volume.Name}'");
            }

            AddVolume(p, volume);
            return volume.Ref(p);
        }));
    }

    public ValueTask DeleteStorageVolAsync(StorageVolRef volume, uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testStorageVolDelete");
        _state.Mutate(_ =>
        {
            var (p, v) = FindVolume(volume);
            p.Volumes.Remove(v);
            p.Allocation -= v.Allocation;
            p.Available += v.Allocation;
            return 0;
        });
        return Done();
    }

    internal static TestVolume ParseVolume(TestPool pool, XElement root)
    {
        var name = ((string?)root.Element("name"))?.Trim();
        if (root.Name.LocalName != "volume" || string.IsNullOrEmpty(name))
        {
            throw DriverErrors.Create(VirtErrorCode.XmlError, VirtErrorDomain.Storage, "XML error: missing volume name element",
                "XML error: %s", "missing volume name element");
        }

        var capacity = LibvirtXml.ParseBytes(root.Element("capacity")) ??
            throw DriverErrors.Create(VirtErrorCode.XmlError, VirtErrorDomain.Storage, "XML error: missing capacity element",
                "XML error: %s", "missing capacity element");
        var path = pool.TargetPath + "/" + name;

        // The test driver allocates a new volume in full.
        return new TestVolume
        {
            Name = name,
            Key = path,
            Path = path,
            Capacity = capacity,
            Allocation = capacity,
            Format = (string?)root.Element("target")?.Element("format")?.Attribute("type") ?? "raw",
        };
    }

    internal static void AddVolume(TestPool pool, TestVolume volume)
    {
        pool.Volumes.Add(volume);
        pool.Allocation += volume.Allocation;
        pool.Available -= volume.Allocation;
    }
}
