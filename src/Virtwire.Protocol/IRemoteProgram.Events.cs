using Virtwire.Rpc;

namespace Virtwire.Protocol;

/// <summary>Events procedures of the REMOTE program.</summary>
public partial interface IRemoteProgram
{
    [RpcProcedure(105, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectDomainEventRegister();

    [RpcProcedure(106, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectDomainEventDeregister();

    [RpcProcedure(107, Kind = RpcProcedureKind.Message)]
    void DomainEventLifecycle(DomainEventLifecycleMsg args);

    [RpcProcedure(167, Priority = RpcPriority.High, ReadOnly = true)]
    void ConnectDomainEventRegisterAny(IntArgs args);

    [RpcProcedure(168, Priority = RpcPriority.High, ReadOnly = true)]
    void ConnectDomainEventDeregisterAny(IntArgs args);

    [RpcProcedure(169, Kind = RpcProcedureKind.Message)]
    void DomainEventReboot(DomainEventDomainMsg args);

    [RpcProcedure(170, Kind = RpcProcedureKind.Message)]
    void DomainEventRtcChange(DomainEventRtcChangeMsg args);

    [RpcProcedure(171, Kind = RpcProcedureKind.Message)]
    void DomainEventWatchdog(DomainEventWatchdogMsg args);

    [RpcProcedure(172, Kind = RpcProcedureKind.Message)]
    void DomainEventIoError(DomainEventIoErrorMsg args);

    [RpcProcedure(313, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectNetworkEventRegisterAny(ConnectNetworkEventRegisterAnyArgs args);

    [RpcProcedure(314, Priority = RpcPriority.High, ReadOnly = true)]
    void ConnectNetworkEventDeregisterAny(IntArgs args);

    [RpcProcedure(315, Kind = RpcProcedureKind.Message)]
    void NetworkEventLifecycle(NetworkEventLifecycleMsg args);

    [RpcProcedure(316, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectDomainEventCallbackRegisterAny(ConnectDomainEventCallbackRegisterAnyArgs args);

    [RpcProcedure(317, Priority = RpcPriority.High, ReadOnly = true)]
    void ConnectDomainEventCallbackDeregisterAny(IntArgs args);

    [RpcProcedure(318, Kind = RpcProcedureKind.Message)]
    void DomainEventCallbackLifecycle(DomainEventCallbackLifecycleMsg args);

    [RpcProcedure(319, Kind = RpcProcedureKind.Message)]
    void DomainEventCallbackReboot(DomainEventCallbackDomainMsg args);

    [RpcProcedure(320, Kind = RpcProcedureKind.Message)]
    void DomainEventCallbackRtcChange(DomainEventCallbackRtcChangeMsg args);

    [RpcProcedure(321, Kind = RpcProcedureKind.Message)]
    void DomainEventCallbackWatchdog(DomainEventCallbackWatchdogMsg args);

    [RpcProcedure(322, Kind = RpcProcedureKind.Message)]
    void DomainEventCallbackIoError(DomainEventCallbackIoErrorMsg args);

    [RpcProcedure(325, Kind = RpcProcedureKind.Message)]
    void DomainEventCallbackControlError(DomainEventCallbackDomainMsg args);

    [RpcProcedure(331, Kind = RpcProcedureKind.Message)]
    void DomainEventCallbackBalloonChange(DomainEventCallbackBalloonChangeMsg args);

    [RpcProcedure(368, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectStoragePoolEventRegisterAny(ConnectStoragePoolEventRegisterAnyArgs args);

    [RpcProcedure(369, Priority = RpcPriority.High, ReadOnly = true)]
    void ConnectStoragePoolEventDeregisterAny(IntArgs args);

    [RpcProcedure(370, Kind = RpcProcedureKind.Message)]
    void StoragePoolEventLifecycle(StoragePoolEventLifecycleMsg args);

    [RpcProcedure(373, Kind = RpcProcedureKind.Message)]
    void StoragePoolEventRefresh(StoragePoolEventRefreshMsg args);
}
