using Virtwire.TestKit;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Virtwire.Drivers.Test;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Server;
using Virtwire.Xdr;

namespace Virtwire.Server.Tests;

/// <summary>The remote server's connection rules and event delivery, driven at the wire level.</summary>
public sealed class RemoteServerTests
{
    private static Task<(RpcClientConnection Client, RemoteProgramClient Remote)> ConnectAsync(RemoteServer server, bool readOnly = false)
    {
        var (client, accepted) = UnixSocketPair.Create();
        _ = server.ServeAsync(new NetworkStream(accepted, ownsSocket: true), readOnly, "unix", RpcServerOptions.Default, CancellationToken.None);
        var rpc = new RpcClientConnection(new NetworkStream(client, ownsSocket: true));
        return Task.FromResult((rpc, new RemoteProgramClient(rpc)));
    }

    private static RemoteServer NewServer() => new([new TestDriver()], NullLoggerFactory.Instance);

    private static async Task<RemoteError> ErrorOf(Func<Task> call) => (await Assert.ThrowsAsync<RpcRemoteException>(call)).Error;

    [Fact]
    public async Task BeforeOpen_HypervisorCallsAreRefused_AndSecondOpenIsAnError()
    {
        var (client, remote) = await ConnectAsync(NewServer());
        await using var _ = client;
        var ct = TestContext.Current.CancellationToken;
        var early = await ErrorOf(async () => await remote.ConnectGetTypeAsync(ct));
        Assert.Equal((VirtErrorCode.InternalError, VirtErrorDomain.Rpc, "internal error: hypervisor connection not open"), (early.Code, early.Domain, early.Message));
        Assert.Equal(1, (await remote.ConnectSupportsFeatureAsync(new IntArgs { Value = (int)DriverFeature.ProgramKeepalive }, ct)).Value);
        await remote.ConnectOpenAsync(new ConnectOpenArgs { Name = "test:///default" }, ct);
        var again = await ErrorOf(async () => await remote.ConnectOpenAsync(new ConnectOpenArgs { Name = "test:///default" }, ct));
        Assert.Equal("internal error: connection already open", again.Message);
        Assert.Equal("TEST", (await remote.ConnectGetTypeAsync(ct)).Value);
    }

    [Fact]
    public async Task UnknownDriver_IsLibvirtsNoConnectError()
    {
        var (client, remote) = await ConnectAsync(NewServer());
        await using var _ = client;
        var error = await ErrorOf(async () => await remote.ConnectOpenAsync(new ConnectOpenArgs { Name = "xen:///" }, TestContext.Current.CancellationToken));
        Assert.Equal(VirtErrorCode.NoConnect, error.Code);
        Assert.Equal("no connection driver available for xen:///", error.Message);
    }

    [Fact]
    public async Task ReadOnlySocket_DeniesEveryWriteProcedure()
    {
        var (client, remote) = await ConnectAsync(NewServer(), readOnly: true);
        await using var _ = client;
        var ct = TestContext.Current.CancellationToken;
        await remote.ConnectOpenAsync(new ConnectOpenArgs { Name = "test:///default" }, ct);
        var dom = (await remote.DomainLookupByNameAsync(new StringArgs { Value = "test" }, ct)).Dom;
        foreach (var procedure in RemoteProgram.All.Where(p => p.Kind == RpcProcedureKind.Call && !p.AllowedReadOnly))
        {
            var reply = await client.CallAsync(procedure.Program, procedure.Version, procedure.Number, XdrVoid.Instance, ct);
            Assert.Equal(RpcStatus.Error, reply.Header.Status);
            var error = XdrCodec.Decode<RemoteError>(reply.Payload);
            Assert.True(error.Code == VirtErrorCode.OperationDenied, $"{procedure}: {error.Message}");
        }

        Assert.Equal((int)DomainState.Running, (await remote.DomainGetStateAsync(new DomainFlagsArgs { Dom = dom }, ct)).State);
    }

    [Fact]
    public async Task DeclaredButUnserved_IsNoSupport_UndeclaredIsUnknownProcedure()
    {
        var (client, remote) = await ConnectAsync(NewServer());
        await using var _ = client;
        var ct = TestContext.Current.CancellationToken;
        await remote.ConnectOpenAsync(new ConnectOpenArgs { Name = "test:///default" }, ct);
        var unserved = await ErrorOf(async () => await remote.NodeGetMemoryStatsAsync(new NodeGetMemoryStatsArgs { CellNum = -1 }, ct));
        Assert.Equal((VirtErrorCode.NoSupport, "this function is not supported by the connection driver: virNodeGetMemoryStats"), (unserved.Code, unserved.Message));
        var reply = await client.CallAsync(RemoteProgram.Program, 1, 999, XdrVoid.Instance, ct);
        Assert.Equal("unknown procedure: 999", XdrCodec.Decode<RemoteError>(reply.Payload).Message);
        var garbage = await client.CallAsync(RemoteProgram.Program, 1, RemoteProgram.Numbers.DomainLookupByName, new IntArgs { Value = 1000 }, ct);
        Assert.Equal("Unable to decode message payload", XdrCodec.Decode<RemoteError>(garbage.Payload).Message);
    }

    [Fact]
    public async Task LegacyAndCallbackRegistrations_GetTheirOwnMessageShapes_AndFiltersApply()
    {
        var server = NewServer();
        var (watcher, watch) = await ConnectAsync(server);
        var (actor, act) = await ConnectAsync(server);
        await using var _ = watcher;
        await using var __ = actor;
        var ct = TestContext.Current.CancellationToken;
        await watch.ConnectOpenAsync(new ConnectOpenArgs { Name = "test:///default" }, ct);
        await act.ConnectOpenAsync(new ConnectOpenArgs { Name = "test:///default" }, ct);
        await watch.ConnectDomainEventRegisterAsync(ct);
        var other = (await act.DomainDefineXmlAsync(new StringArgs { Value = "<domain type='test'><name>other</name><memory>1024</memory><os><type>hvm</type></os></domain>" }, ct)).Dom;
        var test = (await watch.DomainLookupByNameAsync(new StringArgs { Value = "test" }, ct)).Dom;
        var filtered = (await watch.ConnectDomainEventCallbackRegisterAnyAsync(
            new ConnectDomainEventCallbackRegisterAnyArgs { EventId = (int)DomainEventId.Lifecycle, Dom = test }, ct)).Value;

        await act.DomainCreateAsync(new DomainArgs { Dom = other }, ct);
        await act.DomainSuspendAsync(new DomainArgs { Dom = test }, ct);

        var received = new List<(int Procedure, string Domain, int Event)>();
        await foreach (var message in watcher.Messages.ReadAllAsync(ct))
        {
            var body = RemoteProgram.DecodeMessage(message.Header.Procedure, message.Payload);
            received.Add(body switch
            {
                DomainEventLifecycleMsg m => (message.Header.Procedure, m.Dom.Name, m.Event),
                DomainEventCallbackLifecycleMsg m => (message.Header.Procedure, m.Msg.Dom.Name, m.Msg.Event),
                _ => (message.Header.Procedure, "?", -1),
            });
            if (received.Count == 4)
            {
                break;
            }
        }

        // Legacy (107) sees every domain's events; the callback filtered to 'test' (318) sees only its suspend.
        Assert.Equal(
            [(107, "other", (int)DomainLifecycleEvent.Defined), (107, "other", (int)DomainLifecycleEvent.Started), (107, "test", (int)DomainLifecycleEvent.Suspended), (318, "test", (int)DomainLifecycleEvent.Suspended)],
            received);
        Assert.True(filtered >= 0);
    }

    [Fact]
    public async Task ConsumerThatStopsReading_DoesNotBlockOthers()
    {
        var server = NewServer();
        var (stuck, stuckRemote) = await ConnectAsync(server);
        var (actor, act) = await ConnectAsync(server);
        await using var _ = stuck;
        await using var __ = actor;
        var ct = TestContext.Current.CancellationToken;
        await stuckRemote.ConnectOpenAsync(new ConnectOpenArgs { Name = "test:///default" }, ct);
        await stuckRemote.ConnectDomainEventCallbackRegisterAnyAsync(new ConnectDomainEventCallbackRegisterAnyArgs { EventId = 0 }, ct);
        await act.ConnectOpenAsync(new ConnectOpenArgs { Name = "test:///default" }, ct);
        var dom = (await act.DomainLookupByNameAsync(new StringArgs { Value = "test" }, ct)).Dom;

        // The stuck client's events pile up unread in its queue; the actor's calls keep completing.
        for (var i = 0; i < 2000; i++)
        {
            await act.DomainSuspendAsync(new DomainArgs { Dom = dom }, ct);
            await act.DomainResumeAsync(new DomainArgs { Dom = dom }, ct);
        }

        Assert.Equal((int)DomainState.Running, (await act.DomainGetStateAsync(new DomainFlagsArgs { Dom = dom }, ct)).State);
    }
}
