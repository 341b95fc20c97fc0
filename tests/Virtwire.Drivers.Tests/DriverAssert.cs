using Virtwire.Rpc;

namespace Virtwire.Drivers.Tests;

/// <summary>Checks that a driver call fails exactly as libvirt's test driver does.</summary>
internal static class DriverAssert
{
    public static async Task<RemoteError> FailsAsync(Func<ValueTask> call, VirtErrorCode code, VirtErrorDomain domain, string message)
    {
        var ex = await Assert.ThrowsAsync<RpcRemoteException>(async () => await call());
        Assert.Equal((code, domain, message), (ex.Error.Code, ex.Error.Domain, ex.Error.Message));
        return ex.Error;
    }

    public static Task<RemoteError> FailsAsync<T>(Func<ValueTask<T>> call, VirtErrorCode code, VirtErrorDomain domain, string message) =>
        FailsAsync(new Func<ValueTask>(async () => await call()), code, domain, message);
}

/// <summary>Collects driver events; waits for a count without sleeping.</summary>
internal sealed class EventLog : IDisposable
{
    private readonly List<DriverEvent> _events = [];
    private readonly IDisposable _subscription;

    public EventLog(IDriverConnection connection)
    {
        _subscription = connection.SubscribeEvents(e =>
        {
            lock (_events)
            {
                _events.Add(e);
            }
        });
    }

    public IReadOnlyList<DriverEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public void Dispose() => _subscription.Dispose();
}
