using System.Xml.Linq;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Drivers.Test;

/// <summary>
/// The state of one test hypervisor: domains, networks, pools, and who listens for events.
/// <c>test:///default</c> connections share one instance; a custom node file gets its own.
/// One lock guards everything; events are raised after it is released.
/// </summary>
internal sealed class TestState
{
    private readonly List<Action<DriverEvent>> _listeners = [];

    public object Gate { get; } = new();

    public List<TestDomain> Domains { get; } = [];

    public List<TestNetwork> Networks { get; } = [];

    public List<TestPool> Pools { get; } = [];

    public NodeInfo Node { get; set; } = new("i686", 3145728, 16, 1400, 2, 2, 2, 2);

    public int NextId { get; set; } = 1;

    public IDisposable Subscribe(Action<DriverEvent> listener)
    {
        lock (_listeners)
        {
            _listeners.Add(listener);
        }

        return new Subscription(this, listener);
    }

    public void Raise(IEnumerable<DriverEvent> events)
    {
        Action<DriverEvent>[] listeners;
        lock (_listeners)
        {
            listeners = [.. _listeners];
        }

        foreach (var e in events)
        {
            foreach (var listener in listeners)
            {
                listener(e);
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> under the lock, then raises the events it produced.</summary>
    public T Mutate<T>(Func<List<DriverEvent>, T> action)
    {
        var events = new List<DriverEvent>();
        T result;
        lock (Gate)
        {
            result = action(events);
        }

        Raise(events);
        return result;
    }

    public T Read<T>(Func<T> action)
    {
        lock (Gate)
        {
            return action();
        }
    }

    public TestDomain FindDomain(DomainRef domain) =>
        Domains.FirstOrDefault(d => d.Uuid == domain.Uuid) ?? Domains.FirstOrDefault(d => d.Name == domain.Name) ?? throw NoDomain();

    public TestNetwork FindNetwork(NetworkRef network) =>
        Networks.FirstOrDefault(n => n.Uuid == network.Uuid) ?? Networks.FirstOrDefault(n => n.Name == network.Name) ??
        throw NoNetwork($"no network with matching name '{network.Name}'");

    public TestPool FindPool(StoragePoolRef pool) =>
        Pools.FirstOrDefault(p => p.Uuid == pool.Uuid) ?? Pools.FirstOrDefault(p => p.Name == pool.Name) ??
        throw NoPool($"no storage pool with matching name '{pool.Name}'");

    // libvirt 9's test driver reports a failed domain lookup with no detail text.
    public static RpcRemoteException NoDomain() =>
        DriverErrors.Create(VirtErrorCode.NoDomain, VirtErrorDomain.Test, "Domain not found", "Domain not found");

    public static RpcRemoteException NoNetwork(string detail) =>
        DriverErrors.Create(VirtErrorCode.NoNetwork, VirtErrorDomain.Test, "Network not found: " + detail, "Network not found: %s", detail);

    public static RpcRemoteException NoPool(string detail) =>
        DriverErrors.Create(VirtErrorCode.NoStoragePool, VirtErrorDomain.Test, "Storage pool not found: " + detail, "Storage pool not found: %s", detail);

    public static RpcRemoteException Internal(string detail) =>
        DriverErrors.Create(VirtErrorCode.InternalError, VirtErrorDomain.Test, "internal error: " + detail, "internal error: %s", detail);

    public static RpcRemoteException Invalid(VirtErrorDomain domain, string detail) =>
        DriverErrors.Create(VirtErrorCode.OperationInvalid, domain, "Requested operation is not valid: " + detail, "Requested operation is not valid: %s", detail);

    public static RpcRemoteException InvalidArg(string detail) =>
        DriverErrors.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Test, "invalid argument: " + detail, "invalid argument: %s", detail);

    /// <summary>libvirt's check for flag bits a function does not know.</summary>
    public static void CheckFlags(uint flags, uint supported, string function)
    {
        var unknown = flags & ~supported;
        if (unknown != 0)
        {
            var message = $"unsupported flags (0x{unknown:x}) in function {function}";
            throw new RpcRemoteException(RemoteError.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Test, message, function, "flags") with
            {
                Int1 = 0,
                Int2 = 0,
            });
        }
    }

    /// <summary>The node libvirt's test driver starts with for <c>test:///default</c>.</summary>
    public static TestState CreateDefault()
    {
        var state = new TestState();
        var devices = XElement.Parse("""
            <devices>
              <disk type='file' device='disk'>
                <source file='/guest/diskimage1'/>
                <target dev='vda' bus='virtio'/>
                <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
              </disk>
              <interface type='network'>
                <mac address='aa:bb:cc:dd:ee:ff'/>
                <source network='default'/>
                <target dev='testnet0'/>
                <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
              </interface>
              <memballoon model='virtio'>
                <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
              </memballoon>
            </devices>
            """);
        state.Domains.Add(new TestDomain
        {
            Name = "test",
            Uuid = XdrUuid.Parse("6695eb01-f6a4-8304-79aa-97f2502e193f"),
            Id = state.NextId++,
            State = DomainState.Running,
            Reason = (int)DomainRunningReason.Unknown,
            MaxMemoryKiB = 8388608,
            MemoryKiB = 2097152,
            Vcpus = 2,
            MaxVcpus = 2,
            Persistent = true,
            Devices = [.. devices.Elements()],
        });
        state.Networks.Add(new TestNetwork
        {
            Name = "default",
            Uuid = XdrUuid.Parse("dd8fe884-6c02-601e-7551-cca97df1c5df"),
            Active = true,
            Bridge = "virbr0",
            Xml = XElement.Parse("""
                <network>
                  <name>default</name>
                  <uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>
                  <forward mode='nat'/>
                  <bridge name='virbr0' stp='on' delay='0'/>
                  <ip address='192.168.122.1' netmask='255.255.255.0'>
                    <dhcp>
                      <range start='192.168.122.2' end='192.168.122.254'/>
                    </dhcp>
                  </ip>
                </network>
                """),
        });
        state.Pools.Add(new TestPool
        {
            Name = "default-pool",
            Uuid = XdrUuid.Parse("dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566"),
            Active = true,
            Capacity = 107374182400,
            Allocation = 0,
            Available = 107374182400,
            Xml = XElement.Parse("""
                <pool type='dir'>
                  <name>default-pool</name>
                  <uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>
                  <target>
                    <path>/default-pool</path>
                  </target>
                </pool>
                """),
        });
        return state;
    }

    private sealed class Subscription(TestState state, Action<DriverEvent> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (state._listeners)
            {
                state._listeners.Remove(listener);
            }
        }
    }
}
