using Virtwire.Drivers.Test;
using Virtwire.Protocol;
using Virtwire.Rpc;
using static Virtwire.Drivers.Tests.Fixture;

namespace Virtwire.Drivers.Tests;

/// <summary>State machine, reasons, ids and errors of domains, as libvirtd's test driver answered them.</summary>
public sealed class LifecycleTests
{
    internal static string Minimal(string name) => $"<domain type='test'><name>{name}</name><memory>1024</memory><os><type>hvm</type></os></domain>";

    [Fact]
    public async Task SuspendResume_StatesReasonsAndErrors()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var test = await c.LookupDomainByNameAsync("test", Ct);

        await DriverAssert.FailsAsync(() => c.ResumeDomainAsync(test, Ct), VirtErrorCode.InternalError, VirtErrorDomain.Test,
            "internal error: domain 'test' not paused");
        await c.SuspendDomainAsync(test, Ct);
        Assert.Equal((DomainState.Paused, (int)DomainPausedReason.User), await c.GetDomainStateAsync(test, 0, Ct));
        await DriverAssert.FailsAsync(() => c.SuspendDomainAsync(test, Ct), VirtErrorCode.InternalError, VirtErrorDomain.Test,
            "internal error: domain 'test' not running");
        await c.ResumeDomainAsync(test, Ct);
        Assert.Equal((DomainState.Running, (int)DomainRunningReason.Unpaused), await c.GetDomainStateAsync(test, 0, Ct));
    }

    [Fact]
    public async Task DestroyStart_NewIdAndReasons()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var test = await c.LookupDomainByNameAsync("test", Ct);
        await DriverAssert.FailsAsync(() => c.StartDomainAsync(test, DomainCreateFlags.None, Ct), VirtErrorCode.InternalError, VirtErrorDomain.Test,
            "internal error: Domain 'test' is already running");

        await c.DestroyDomainAsync(test, DomainDestroyFlags.None, Ct);
        Assert.Equal((DomainState.Shutoff, (int)DomainShutoffReason.Destroyed), await c.GetDomainStateAsync(test, 0, Ct));
        Assert.Equal(-1, (await c.LookupDomainByNameAsync("test", Ct)).Id);
        Assert.False(await c.IsDomainActiveAsync(test, Ct));
        Assert.Equal((string.Empty, false), await c.GetSecurityLabelAsync(test, Ct));

        foreach (var call in new Func<ValueTask>[]
        {
            () => c.DestroyDomainAsync(test, DomainDestroyFlags.None, Ct),
            () => c.RebootDomainAsync(test, 0, Ct),
            () => c.ResetDomainAsync(test, 0, Ct),
            async () => await c.GetDomainMaxVcpusAsync(test, Ct),
        })
        {
            await DriverAssert.FailsAsync(call, VirtErrorCode.OperationInvalid, VirtErrorDomain.Domain, "Requested operation is not valid: domain is not running");
        }

        await DriverAssert.FailsAsync(() => c.ShutdownDomainAsync(test, 0, Ct), VirtErrorCode.InternalError, VirtErrorDomain.Test,
            "internal error: domain 'test' not running");
        await DriverAssert.FailsAsync(() => c.SuspendDomainAsync(test, Ct), VirtErrorCode.InternalError, VirtErrorDomain.Test,
            "internal error: domain 'test' not running");

        var started = await c.StartDomainAsync(test, DomainCreateFlags.None, Ct);
        Assert.Equal(2, started.Id);
        Assert.Equal((DomainState.Running, (int)DomainRunningReason.Booted), await c.GetDomainStateAsync(test, 0, Ct));
        Assert.Equal(2, (await c.LookupDomainByIdAsync(2, Ct)).Id);
        await DriverAssert.FailsAsync(() => c.LookupDomainByIdAsync(1, Ct), VirtErrorCode.NoDomain, VirtErrorDomain.Test, "Domain not found");
    }

    [Fact]
    public async Task Start_PausedFlag_UnsupportedAsInLibvirt9()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var test = await c.LookupDomainByNameAsync("test", Ct);
        await c.DestroyDomainAsync(test, DomainDestroyFlags.None, Ct);
        var error = await DriverAssert.FailsAsync(() => c.StartDomainAsync(test, DomainCreateFlags.Paused, Ct), VirtErrorCode.InvalidArg,
            VirtErrorDomain.Test, "unsupported flags (0x1) in function testDomainCreateWithFlags");
        Assert.Equal((0, 0), (error.Int1, error.Int2));
        await DriverAssert.FailsAsync(() => c.CreateDomainAsync(Minimal("p"), DomainCreateFlags.Paused, Ct), VirtErrorCode.InvalidArg,
            VirtErrorDomain.Test, "unsupported flags (0x1) in function testDomainCreateXML");
    }

    [Fact]
    public async Task Shutdown_PausedDomain_ShutsOff()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var test = await c.LookupDomainByNameAsync("test", Ct);
        await c.SuspendDomainAsync(test, Ct);
        await c.ShutdownDomainAsync(test, 0, Ct);
        Assert.Equal((DomainState.Shutoff, (int)DomainShutoffReason.Shutdown), await c.GetDomainStateAsync(test, 0, Ct));
        await DriverAssert.FailsAsync(() => c.ShutdownDomainAsync(test, 1, Ct), VirtErrorCode.InvalidArg, VirtErrorDomain.Test,
            "unsupported flags (0x1) in function testDomainShutdownFlags");
    }

    [Fact]
    public async Task RebootReset_RunningStaysUp()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var test = await c.LookupDomainByNameAsync("test", Ct);
        await c.RebootDomainAsync(test, 0, Ct);
        Assert.Equal((DomainState.Running, (int)DomainRunningReason.Booted), await c.GetDomainStateAsync(test, 0, Ct));
        await c.SuspendDomainAsync(test, Ct);
        await c.ResetDomainAsync(test, 0, Ct);
        Assert.Equal((DomainState.Paused, (int)DomainPausedReason.User), await c.GetDomainStateAsync(test, 0, Ct));
        Assert.Equal(1, (await c.LookupDomainByNameAsync("test", Ct)).Id);
    }

    [Fact]
    public async Task LifecycleActions_OnPoweroffRestart_OnRebootDestroy()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var d = await c.DefineDomainAsync(
            "<domain type='test'><name>st</name><memory>1024</memory><os><type>hvm</type></os><on_poweroff>restart</on_poweroff><on_reboot>destroy</on_reboot></domain>",
            0, Ct);
        d = await c.StartDomainAsync(d, DomainCreateFlags.None, Ct);
        await c.ShutdownDomainAsync(d, 0, Ct);
        Assert.Equal((DomainState.Running, (int)DomainRunningReason.Booted), await c.GetDomainStateAsync(d, 0, Ct));
        await c.RebootDomainAsync(d, 0, Ct);
        Assert.Equal((DomainState.Shutoff, (int)DomainShutoffReason.Shutdown), await c.GetDomainStateAsync(d, 0, Ct));
    }

    [Fact]
    public async Task CreateXml_Transient_GoneWhenStopped()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var tr = await c.CreateDomainAsync(Minimal("tr"), DomainCreateFlags.None, Ct);
        Assert.Equal(2, tr.Id);
        Assert.False(await c.IsDomainPersistentAsync(tr, Ct));
        Assert.Equal([tr.Name], (await c.ListDomainsAsync(ListDomainsFlags.Transient, Ct)).Select(d => d.Name));
        await DriverAssert.FailsAsync(() => c.CreateDomainAsync(Minimal("tr"), DomainCreateFlags.None, Ct), VirtErrorCode.OperationFailed,
            VirtErrorDomain.Domain, $"operation failed: domain 'tr' already exists with uuid {tr.Uuid}");

        // Undefining a transient domain is accepted and changes nothing.
        await c.UndefineDomainAsync(tr, DomainUndefineFlags.None, Ct);
        Assert.False(await c.IsDomainPersistentAsync(tr, Ct));
        await c.ShutdownDomainAsync(tr, 0, Ct);
        await DriverAssert.FailsAsync(() => c.LookupDomainByNameAsync("tr", Ct), VirtErrorCode.NoDomain, VirtErrorDomain.Test, "Domain not found");
    }

    [Fact]
    public async Task Undefine_RunningPersistent_BecomesTransient()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var test = await c.LookupDomainByNameAsync("test", Ct);
        await c.UndefineDomainAsync(test, DomainUndefineFlags.None, Ct);
        Assert.False(await c.IsDomainPersistentAsync(test, Ct));
        Assert.True(await c.IsDomainActiveAsync(test, Ct));
        await c.DestroyDomainAsync(test, DomainDestroyFlags.None, Ct);
        Assert.Empty(await c.ListDomainsAsync(ListDomainsFlags.None, Ct));
    }

    [Fact]
    public async Task Undefine_Inactive_Removes_UnknownFlagsRejected()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var d = await c.DefineDomainAsync(Minimal("x"), 0, Ct);
        await DriverAssert.FailsAsync(() => c.UndefineDomainAsync(d, (DomainUndefineFlags)0x7F, Ct), VirtErrorCode.InvalidArg, VirtErrorDomain.Test,
            "unsupported flags (0x7c) in function testDomainUndefineFlags");
        await c.UndefineDomainAsync(d, DomainUndefineFlags.ManagedSave, Ct);
        await DriverAssert.FailsAsync(() => c.LookupDomainByNameAsync("x", Ct), VirtErrorCode.NoDomain, VirtErrorDomain.Test, "Domain not found");
    }

    [Fact]
    public async Task Ids_KeepIncreasing()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var a = await c.CreateDomainAsync(Minimal("a"), DomainCreateFlags.None, Ct);
        await c.DestroyDomainAsync(a, DomainDestroyFlags.None, Ct);
        var b = await c.CreateDomainAsync(Minimal("b"), DomainCreateFlags.None, Ct);
        Assert.Equal((2, 3), (a.Id, b.Id));
    }
}
