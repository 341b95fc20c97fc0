using System.Diagnostics;
using System.Globalization;
using Virtwire.Client;
using Virtwire.Protocol;
using Virtwire.TestKit.Peers;

// Side-by-side load harness: real libvirtd and virtwired from the same libvirtd.conf, the same workloads
// against both in one run, absolute figures and virtwired ÷ libvirtd ratios (median of several rounds).
//   dotnet run -c Release --project bench/Virtwire.LoadGen            full run
//   dotnet run -c Release --project bench/Virtwire.LoadGen -- --smoke  a few seconds, to keep it from rotting
var smoke = args.Contains("--smoke");
var rounds = smoke ? 1 : 5;
var calls = smoke ? 500 : 20_000;
int[] listSizes = smoke ? [1, 100] : [1, 100, 1_000, 10_000];

await using var libvirtd = await DaemonProcess.StartLibvirtdAsync();
await using var virtwired = await DaemonProcess.StartVirtwiredAsync();
var rows = new List<(string Workload, double Libvirtd, double Virtwired, string Unit, bool HigherIsBetter)>();

foreach (var (name, work) in new (string, Func<VirtConnection, VirtDomain, Task>)[]
{
    ("getLibVersion, sequential", async (c, _) => await c.GetLibVersionAsync()),
    ("dom.info, sequential", async (_, d) => await d.GetInfoAsync()),
})
{
    var (lr, lc) = await SequentialAsync(libvirtd, work);
    var (vr, vc) = await SequentialAsync(virtwired, work);
    rows.Add((name + " (calls/s)", lr, vr, "calls/s", true));
    rows.Add((name + " (daemon CPU µs/call)", lc, vc, "µs", false));
}

foreach (var connections in smoke ? new[] { 8 } : [1, 8, 64])
{
    var (lr, lc) = await ParallelAsync(libvirtd, connections);
    var (vr, vc) = await ParallelAsync(virtwired, connections);
    rows.Add(($"dom.info, {connections} connections (calls/s)", lr, vr, "calls/s", true));
    rows.Add(($"dom.info, {connections} connections (daemon CPU µs/call)", lc, vc, "µs", false));
}

rows.Add(("dom.info, 64 pipelined on one connection (calls/s)", await PipelinedAsync(libvirtd), await PipelinedAsync(virtwired), "calls/s", true));

foreach (var size in listSizes)
{
    rows.Add(($"list-all, {size} domains (ms)", await ListAllAsync(libvirtd, size), await ListAllAsync(virtwired, size), "ms", false));
}

Console.WriteLine($"Virtwire load harness — {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, median of {rounds} round(s)");
Console.WriteLine();
Console.WriteLine($"| {"workload",-55} | {"libvirtd",12} | {"virtwired",12} | {"ratio vw/lv",11} |");
Console.WriteLine($"|{new string('-', 57)}|{new string('-', 14)}|{new string('-', 14)}|{new string('-', 13)}|");
foreach (var (workload, l, v, _, _) in rows)
{
    Console.WriteLine($"| {workload,-55} | {l,12:0.0} | {v,12:0.0} | {v / l,11:0.00} |");
}

return 0;

async Task<(double CallsPerSecond, double DaemonMicrosPerCall)> SequentialAsync(DaemonProcess daemon, Func<VirtConnection, VirtDomain, Task> work)
{
    await using var conn = await VirtConnection.OpenAsync(daemon.UnixUri);
    var domain = await conn.LookupDomainByNameAsync("test");
    var rates = new List<double>();
    var cpu = new List<double>();
    for (var r = 0; r < rounds; r++)
    {
        var before = daemon.CpuTime;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            await work(conn, domain);
        }

        rates.Add(calls / clock.Elapsed.TotalSeconds);
        cpu.Add((daemon.CpuTime - before).TotalMicroseconds / calls);
    }

    return (Median(rates), Median(cpu));
}

async Task<(double, double)> ParallelAsync(DaemonProcess daemon, int connections)
{
    var conns = new List<VirtConnection>();
    for (var i = 0; i < connections; i++)
    {
        conns.Add(await VirtConnection.OpenAsync(daemon.UnixUri));
    }

    var rates = new List<double>();
    var cpu = new List<double>();
    var perConnection = Math.Max(50, calls / connections);
    for (var r = 0; r < rounds; r++)
    {
        var before = daemon.CpuTime;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(conns.Select(async c =>
        {
            var d = await c.LookupDomainByNameAsync("test");
            for (var i = 0; i < perConnection; i++)
            {
                await d.GetInfoAsync();
            }
        }));
        var total = perConnection * connections;
        rates.Add(total / clock.Elapsed.TotalSeconds);
        cpu.Add((daemon.CpuTime - before).TotalMicroseconds / total);
    }

    foreach (var c in conns)
    {
        await c.DisposeAsync();
    }

    return (Median(rates), Median(cpu));
}

async Task<double> PipelinedAsync(DaemonProcess daemon)
{
    await using var conn = await VirtConnection.OpenAsync(daemon.UnixUri);
    var domain = await conn.LookupDomainByNameAsync("test");
    var rates = new List<double>();
    for (var r = 0; r < rounds; r++)
    {
        var clock = Stopwatch.StartNew();
        var done = 0;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            while (Interlocked.Increment(ref done) <= calls)
            {
                await domain.GetInfoAsync();
            }
        }));
        rates.Add(calls / clock.Elapsed.TotalSeconds);
    }

    return Median(rates);
}

async Task<double> ListAllAsync(DaemonProcess daemon, int size)
{
    // One connection holds the test driver's shared state alive while domains are defined and listed.
    await using var conn = await VirtConnection.OpenAsync(daemon.UnixUri);
    var existing = (await conn.ListAllDomainsAsync()).Count;
    await Parallel.ForEachAsync(Enumerable.Range(existing, Math.Max(0, size - existing)), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        await conn.DefineDomainAsync(string.Create(CultureInfo.InvariantCulture,
            $"<domain type='test'><name>bench{i:D5}</name><memory>1024</memory><os><type>hvm</type></os></domain>"), cancellationToken: ct));
    var times = new List<double>();
    for (var r = 0; r < rounds; r++)
    {
        var clock = Stopwatch.StartNew();
        var domains = await conn.ListAllDomainsAsync(ListDomainsFlags.Active | ListDomainsFlags.Inactive);
        times.Add(clock.Elapsed.TotalMilliseconds);
        if (domains.Count < size)
        {
            throw new InvalidOperationException($"expected {size} domains, got {domains.Count}");
        }
    }

    return Median(times);
}

static double Median(List<double> values)
{
    values.Sort();
    return values[values.Count / 2];
}
