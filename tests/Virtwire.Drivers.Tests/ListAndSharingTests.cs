using Virtwire.Drivers.Test;
using Virtwire.Protocol;
using Virtwire.Rpc;
using static Virtwire.Drivers.Tests.Fixture;
using static Virtwire.Drivers.Tests.LifecycleTests;

namespace Virtwire.Drivers.Tests;

/// <summary>List-all filtering by every libvirt flag group, and the sharing rules of test:///default.</summary>
public sealed class ListAndSharingTests
{
    /// <summary>
    /// test (running, persistent, autostart), paused (paused, persistent), off (shut off, persistent),
    /// tr (running, transient).
    /// </summary>
    private static async Task<IDriverConnection> PopulatedAsync()
    {
        var c = await OpenDefaultAsync(new TestDriver());
        var test = await c.LookupDomainByNameAsync("test", Ct);
        await c.SetDomainAutostartAsync(test, true, Ct);
        var paused = await c.StartDomainAsync(await c.DefineDomainAsync(Minimal("paused"), 0, Ct), DomainCreateFlags.None, Ct);
        await c.SuspendDomainAsync(paused, Ct);
        await c.DefineDomainAsync(Minimal("off"), 0, Ct);
        await c.CreateDomainAsync(Minimal("tr"), DomainCreateFlags.None, Ct);
        return c;
    }

    [Theory]
    [InlineData(ListDomainsFlags.None, "test,paused,tr,off")]
    [InlineData(ListDomainsFlags.Active, "test,paused,tr")]
    [InlineData(ListDomainsFlags.Inactive, "off")]
    [InlineData(ListDomainsFlags.Active | ListDomainsFlags.Inactive, "test,paused,tr,off")]
    [InlineData(ListDomainsFlags.Persistent, "test,paused,off")]
    [InlineData(ListDomainsFlags.Transient, "tr")]
    [InlineData(ListDomainsFlags.Running, "test,tr")]
    [InlineData(ListDomainsFlags.Paused, "paused")]
    [InlineData(ListDomainsFlags.Shutoff, "off")]
    [InlineData(ListDomainsFlags.Other, "")]
    [InlineData(ListDomainsFlags.Running | ListDomainsFlags.Shutoff, "test,tr,off")]
    [InlineData(ListDomainsFlags.Autostart, "test")]
    [InlineData(ListDomainsFlags.NoAutostart, "paused,tr,off")]
    [InlineData(ListDomainsFlags.ManagedSave, "")]
    [InlineData(ListDomainsFlags.NoManagedSave, "test,paused,tr,off")]
    [InlineData(ListDomainsFlags.HasSnapshot, "")]
    [InlineData(ListDomainsFlags.NoSnapshot, "test,paused,tr,off")]
    [InlineData(ListDomainsFlags.HasCheckpoint, "")]
    [InlineData(ListDomainsFlags.NoCheckpoint, "test,paused,tr,off")]
    [InlineData(ListDomainsFlags.Active | ListDomainsFlags.Persistent | ListDomainsFlags.NoAutostart, "paused")]
    public async Task ListAll_Flags_FilterAsLibvirt(ListDomainsFlags flags, string expected)
    {
        await using var c = await PopulatedAsync();
        var names = (await c.ListDomainsAsync(flags, Ct)).Select(d => d.Name);
        Assert.Equal(expected, string.Join(',', names));
    }

    [Fact]
    public async Task ListAll_UnknownFlag_Rejected()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        await DriverAssert.FailsAsync(() => c.ListDomainsAsync((ListDomainsFlags)0x10000, Ct), VirtErrorCode.InvalidArg, VirtErrorDomain.Test,
            "unsupported flags (0x10000) in function testConnectListAllDomains");
    }

    [Fact]
    public async Task Default_SharedBetweenConnections_ResetAfterLastClose()
    {
        var driver = new TestDriver();
        var a = await OpenDefaultAsync(driver);
        var b = await OpenDefaultAsync(driver);
        var test = await a.LookupDomainByNameAsync("test", Ct);
        await a.SuspendDomainAsync(test, Ct);
        Assert.Equal(DomainState.Paused, (await b.GetDomainStateAsync(test, 0, Ct)).State);

        await a.DisposeAsync();
        await a.DisposeAsync();
        Assert.Equal(DomainState.Paused, (await b.GetDomainStateAsync(test, 0, Ct)).State);
        await b.DisposeAsync();

        await using var c = await OpenDefaultAsync(driver);
        Assert.Equal((DomainState.Running, 0), await c.GetDomainStateAsync(test, 0, Ct));
    }

    [Fact]
    public async Task SeparateDrivers_HaveSeparateState()
    {
        await using var a = await OpenDefaultAsync(new TestDriver());
        await using var b = await OpenDefaultAsync(new TestDriver());
        await a.SuspendDomainAsync(await a.LookupDomainByNameAsync("test", Ct), Ct);
        Assert.Equal(DomainState.Running, (await b.GetDomainStateAsync(await b.LookupDomainByNameAsync("test", Ct), 0, Ct)).State);
    }

    [Fact]
    public async Task Open_BadUris_FailAsLibvirt()
    {
        var driver = new TestDriver();
        await DriverAssert.FailsAsync(() => driver.OpenAsync(new Uri("test:///"), false, Ct), VirtErrorCode.InvalidArg, VirtErrorDomain.Test,
            "invalid argument: testOpen: supply a path or use test:///default");
        var missing = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".xml");
        await DriverAssert.FailsAsync(() => driver.OpenAsync(new Uri("test://" + missing), false, Ct), VirtErrorCode.XmlError, VirtErrorDomain.Test,
            $"XML error: failed to parse xml document '{missing}'");
    }

    [Fact]
    public async Task Stats_StateGroupOnly()
    {
        await using var c = await PopulatedAsync();
        var all = await c.GetAllDomainStatsAsync([], DomainStatsTypes.None, GetAllDomainStatsFlags.None, Ct);
        Assert.Equal("test,paused,tr,off", string.Join(',', all.Select(r => r.Domain.Name)));
        var paused = all.Single(r => r.Domain.Name == "paused");
        Assert.Equal([new DriverTypedParameter("state.state", 3), new DriverTypedParameter("state.reason", 1)], paused.Parameters);

        var inactive = await c.GetAllDomainStatsAsync([], DomainStatsTypes.State, GetAllDomainStatsFlags.Inactive, Ct);
        Assert.Equal("off", Assert.Single(inactive).Domain.Name);

        var test = await c.LookupDomainByNameAsync("test", Ct);
        var listed = Assert.Single(await c.GetAllDomainStatsAsync([test], DomainStatsTypes.State, GetAllDomainStatsFlags.None, Ct));
        Assert.Equal([new DriverTypedParameter("state.state", 1), new DriverTypedParameter("state.reason", 0)], listed.Parameters);

        var balloon = await c.GetAllDomainStatsAsync([], DomainStatsTypes.CpuTotal | DomainStatsTypes.Balloon, GetAllDomainStatsFlags.None, Ct);
        Assert.All(balloon, r => Assert.Empty(r.Parameters));
        await DriverAssert.FailsAsync(() => c.GetAllDomainStatsAsync([], DomainStatsTypes.CpuTotal, GetAllDomainStatsFlags.EnforceStats, Ct),
            VirtErrorCode.ArgumentUnsupported, VirtErrorDomain.Test, "argument unsupported: Stats types bits 0x2 are not supported by this daemon");
    }
}
