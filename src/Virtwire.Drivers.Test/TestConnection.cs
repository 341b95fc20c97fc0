using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Drivers.Test;

/// <summary>One connection to a <see cref="TestState"/>. Connection-wide calls live here; objects in the other parts.</summary>
internal sealed partial class TestConnection : IDriverConnection
{
    private readonly TestDriver _driver;
    private readonly TestState _state;
    private int _disposed;

    public TestConnection(TestDriver driver, TestState state, string uri)
    {
        _driver = driver;
        _state = state;
        Uri = uri;
    }

    public string Uri { get; }

    public IDisposable SubscribeEvents(Action<DriverEvent> handler) => _state.Subscribe(handler);

    public ValueTask<string> GetTypeAsync(CancellationToken cancellationToken) => ValueTask.FromResult("TEST");

    // The test hypervisor reports version 0.0.2.
    public ValueTask<ulong> GetVersionAsync(CancellationToken cancellationToken) => ValueTask.FromResult(2ul);

    public ValueTask<string> GetHostnameAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Environment.MachineName);

    public ValueTask<string> GetCapabilitiesAsync(CancellationToken cancellationToken) => ValueTask.FromResult(TestDriver.Capabilities);

    public ValueTask<string> GetSysinfoAsync(uint flags, CancellationToken cancellationToken)
    {
        TestState.CheckFlags(flags, 0, "testConnectGetSysinfo");
        return ValueTask.FromResult(TestDriver.Sysinfo);
    }

    public ValueTask<int> GetMaxVcpusAsync(string? type, CancellationToken cancellationToken) => ValueTask.FromResult(32);

    public ValueTask<NodeInfo> GetNodeInfoAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_state.Read(() => _state.Node));

    // NODE_GET_FREE_MEMORY means bytes, but libvirt's test driver answers the sum of the cells' free KiB; so do we.
    public ValueTask<ulong> GetFreeMemoryAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(_state.Read(() => _state.Cells.Aggregate(0UL, (sum, cell) => sum + cell.FreeKiB)));

    // libvirt's test driver answers with each cell's total memory, not its free memory.
    public ValueTask<IReadOnlyList<ulong>> GetCellsFreeMemoryAsync(int startCell, int maxCells, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<ulong>>(_state.Read(() =>
        {
            var cells = _state.Cells;
            if (startCell < 0 || startCell >= cells.Count)
            {
                throw TestState.InvalidArg("Range exceeds available cells");
            }

            return cells.Skip(startCell).Take(Math.Max(0, maxCells)).Select(c => c.MemoryKiB).ToArray();
        }));

    public ValueTask<(string Model, string Doi)> GetSecurityModelAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(("testSecurity", string.Empty));

    public ValueTask<bool> SupportsFeatureAsync(int feature, CancellationToken cancellationToken) =>
        ValueTask.FromResult(feature is (int)DriverFeature.TypedParamString);

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _driver.Release(_state);
        }

        return ValueTask.CompletedTask;
    }

    private static ValueTask Done() => ValueTask.CompletedTask;

    private static XdrUuid NewUuid() => XdrUuid.NewRandom();
}
