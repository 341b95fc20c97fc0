using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Drivers.Test;

/// <summary>
/// The state of one test hypervisor: domains, networks, pools, and who listens for events.
/// <c>test:///default</c> connections share one instance; a custom node file gets its own.
/// One lock guards everything; events are delivered in order after it is released.
/// </summary>
internal sealed class TestState
{
    private readonly List<Action<DriverEvent>> _listeners = [];
    private readonly Queue<DriverEvent> _pending = new();
    private bool _draining;

    public object Gate { get; } = new();

    public List<TestDomain> Domains { get; } = [];

    public List<TestNetwork> Networks { get; } = [];

    public List<TestPool> Pools { get; } = [];

    public NodeInfo Node { get; set; } = new("i686", 3145728, 16, 1400, 2, 2, 2, 2);

    public int NextId { get; set; } = 1;

    /// <summary>NUMA cells (total and free KiB); a custom node file has none.</summary>
    public IReadOnlyList<TestCell> Cells { get; set; } = [];

    public IDisposable Subscribe(Action<DriverEvent> listener)
    {
        lock (_listeners)
        {
            _listeners.Add(listener);
        }

        return new Subscription(this, listener);
    }

    /// <summary>
    /// Runs <paramref name="action"/> under the lock and queues the events it produced in that order;
    /// after the lock is released, one caller at a time delivers the queue, so every listener sees
    /// events in the order the changes happened and no listener runs under the state lock.
    /// </summary>
    public T Mutate<T>(Func<List<DriverEvent>, T> action)
    {
        var events = new List<DriverEvent>();
        T result;
        bool drain;
        lock (Gate)
        {
            result = action(events);
            foreach (var e in events)
            {
                _pending.Enqueue(e);
            }

            drain = !_draining && _pending.Count > 0;
            _draining |= drain;
        }

        if (drain)
        {
            Drain();
        }

        return result;
    }

    private void Drain()
    {
        var completed = false;
        try
        {
            while (true)
            {
                DriverEvent next;
                lock (Gate)
                {
                    if (!_pending.TryDequeue(out next!))
                    {
                        _draining = false;
                        completed = true;
                        return;
                    }
                }

                Action<DriverEvent>[] listeners;
                lock (_listeners)
                {
                    listeners = [.. _listeners];
                }

                foreach (var listener in listeners)
                {
                    listener(next);
                }
            }
        }
        finally
        {
            if (!completed)
            {
                // A listener threw: leave what is queued to the next change's delivery.
                lock (Gate)
                {
                    _draining = false;
                }
            }
        }
    }

    public T Read<T>(Func<T> action)
    {
        lock (Gate)
        {
            return action();
        }
    }

    /// <summary>The domain a handle names, by UUID only, as libvirt's test driver finds it.</summary>
    public TestDomain FindDomain(DomainRef domain) =>
        Domains.FirstOrDefault(d => d.Uuid == domain.Uuid) ?? throw NoDomain($"no domain with matching uuid '{domain.Uuid}' ({domain.Name})");

    /// <summary>The network a handle names; libvirt 9's test driver finds networks and pools by name.</summary>
    public TestNetwork FindNetwork(NetworkRef network) =>
        Networks.FirstOrDefault(n => n.Name == network.Name) ?? throw NoNetwork($"no network with matching name '{network.Name}'");

    public TestPool FindPool(StoragePoolRef pool) =>
        Pools.FirstOrDefault(p => p.Name == pool.Name) ?? throw NoPool($"no storage pool with matching name '{pool.Name}'");

    // libvirt 9's test driver reports a failed domain lookup with no detail text.
    public static RpcRemoteException NoDomain() =>
        DriverErrors.Create(VirtErrorCode.NoDomain, VirtErrorDomain.Test, "Domain not found", "Domain not found");

    public static RpcRemoteException NoDomain(string detail) =>
        DriverErrors.Create(VirtErrorCode.NoDomain, VirtErrorDomain.Test, "Domain not found: " + detail, "Domain not found: %s", detail);

    public static RpcRemoteException OperationFailed(VirtErrorDomain domain, string detail) =>
        DriverErrors.Create(VirtErrorCode.OperationFailed, domain, "operation failed: " + detail, "operation failed: %s", detail);

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

/// <summary>One NUMA cell of the test host, in KiB.</summary>
internal sealed record TestCell(ulong MemoryKiB, ulong FreeKiB);
