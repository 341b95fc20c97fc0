using Virtwire.Rpc;

namespace Virtwire.Protocol;

/// <summary>
/// libvirt's REMOTE program: one declaration per procedure (numbers, shapes and flags are libvirt's;
/// protocol-facts §6). The source generator emits <c>RemoteProgram</c>, <c>RemoteProgramClient</c> and
/// <c>RemoteProgramServerBase&lt;TContext&gt;</c> from these.
/// </summary>
[RpcProgram(0x20008086, 1)]
public partial interface IRemoteProgram
{
    [RpcProcedure(1, Priority = RpcPriority.High, ReadOnly = true)]
    void ConnectOpen(ConnectOpenArgs args);

    [RpcProcedure(2, Priority = RpcPriority.High, ReadOnly = true)]
    void ConnectClose();

    [RpcProcedure(3, Priority = RpcPriority.High, ReadOnly = true)]
    StringRet ConnectGetType();

    [RpcProcedure(4, Priority = RpcPriority.High, ReadOnly = true)]
    ULongRet ConnectGetVersion();

    [RpcProcedure(5, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectGetMaxVcpus(ConnectGetMaxVcpusArgs args);

    [RpcProcedure(6, Priority = RpcPriority.High, ReadOnly = true)]
    NodeGetInfoRet NodeGetInfo();

    [RpcProcedure(7, ReadOnly = true)]
    StringRet ConnectGetCapabilities();

    [RpcProcedure(59, Priority = RpcPriority.High, ReadOnly = true)]
    StringRet ConnectGetHostname();

    [RpcProcedure(60, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectSupportsFeature(IntArgs args);

    [RpcProcedure(66, Priority = RpcPriority.High, ReadOnly = true, BeforeAuth = true)]
    AuthListRet AuthList();

    [RpcProcedure(67, Priority = RpcPriority.High, ReadOnly = true, BeforeAuth = true)]
    StringRet AuthSaslInit();

    [RpcProcedure(68, Priority = RpcPriority.High, ReadOnly = true, BeforeAuth = true)]
    AuthSaslStepRet AuthSaslStart(AuthSaslStartArgs args);

    [RpcProcedure(69, Priority = RpcPriority.High, ReadOnly = true, BeforeAuth = true)]
    AuthSaslStepRet AuthSaslStep(AuthSaslStepArgs args);

    [RpcProcedure(70, Priority = RpcPriority.High, ReadOnly = true, BeforeAuth = true)]
    IntRet AuthPolkit();

    [RpcProcedure(101, Priority = RpcPriority.High, ReadOnly = true)]
    NodeGetCellsFreeMemoryRet NodeGetCellsFreeMemory(NodeGetCellsFreeMemoryArgs args);

    [RpcProcedure(102, Priority = RpcPriority.High, ReadOnly = true)]
    ULongRet NodeGetFreeMemory();

    [RpcProcedure(110, Priority = RpcPriority.High, ReadOnly = true)]
    StringRet ConnectGetUri();

    [RpcProcedure(122, Priority = RpcPriority.High, ReadOnly = true)]
    NodeGetSecurityModelRet NodeGetSecurityModel();

    [RpcProcedure(228, ReadOnly = true)]
    NodeGetMemoryStatsRet NodeGetMemoryStats(NodeGetMemoryStatsArgs args);

    [RpcProcedure(149, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectIsSecure();

    [RpcProcedure(157, Priority = RpcPriority.High, ReadOnly = true)]
    ULongRet ConnectGetLibVersion();

    [RpcProcedure(203, Priority = RpcPriority.High, ReadOnly = true)]
    StringRet ConnectGetSysinfo(FlagsArgs args);

    [RpcProcedure(342, ReadOnly = true)]
    StringRet ConnectGetDomainCapabilities(ConnectGetDomainCapabilitiesArgs args);

    [RpcProcedure(360, ReadOnly = true)]
    void ConnectRegisterCloseCallback();

    [RpcProcedure(361, ReadOnly = true)]
    void ConnectUnregisterCloseCallback();

    [RpcProcedure(362, Kind = RpcProcedureKind.Message)]
    void ConnectEventConnectionClosed(ConnectEventConnectionClosedMsg args);

    [RpcProcedure(419)]
    void ConnectSetIdentity(ConnectSetIdentityArgs args);
}
