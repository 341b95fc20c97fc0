using System.Text;
using Virtwire.Drivers;
using Virtwire.Protocol;

namespace Virtwire.Server;

/// <summary>Protocol handles and records ⇄ driver records.</summary>
internal static class Mapping
{
    public static DomainRef ToDriver(this RemoteDomain dom) => new(dom.Name, dom.Uuid, dom.Id);

    public static RemoteDomain ToWire(this DomainRef dom) => new() { Name = dom.Name, Uuid = dom.Uuid, Id = dom.Id };

    public static NetworkRef ToDriver(this RemoteNetwork net) => new(net.Name, net.Uuid);

    public static RemoteNetwork ToWire(this NetworkRef net) => new() { Name = net.Name, Uuid = net.Uuid };

    public static StoragePoolRef ToDriver(this RemoteStoragePool pool) => new(pool.Name, pool.Uuid);

    public static RemoteStoragePool ToWire(this StoragePoolRef pool) => new() { Name = pool.Name, Uuid = pool.Uuid };

    public static RemoteStorageVol ToWire(this StorageVolRef vol) => new() { Pool = vol.Pool, Name = vol.Name, Key = vol.Key };

    public static StorageVolRef ToDriver(this RemoteStorageVol vol) => new(vol.Pool, vol.Name, vol.Key);

    /// <summary>A C string as libvirt sends it in a <c>char&lt;&gt;</c> array: bytes plus the trailing NUL.</summary>
    public static byte[] CString(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    /// <summary>A fixed <c>char[n]</c> field: the string NUL-padded (and truncated) to n bytes.</summary>
    public static byte[] FixedCString(string value, int length)
    {
        var bytes = new byte[length];
        var source = Encoding.UTF8.GetBytes(value);
        source.AsSpan(0, Math.Min(source.Length, length - 1)).CopyTo(bytes);
        return bytes;
    }

    public static RemoteTypedParam ToWire(this DriverTypedParameter parameter) => parameter.Value switch
    {
        int i => RemoteTypedParam.FromInt(parameter.Name, i),
        uint u => RemoteTypedParam.FromUInt(parameter.Name, u),
        long l => RemoteTypedParam.FromLLong(parameter.Name, l),
        ulong ul => RemoteTypedParam.FromULLong(parameter.Name, ul),
        double d => RemoteTypedParam.FromDouble(parameter.Name, d),
        bool b => RemoteTypedParam.FromBoolean(parameter.Name, b),
        string s => RemoteTypedParam.FromString(parameter.Name, s),
        _ => throw new InvalidOperationException($"typed parameter {parameter.Name} has unsupported type {parameter.Value.GetType()}"),
    };
}
