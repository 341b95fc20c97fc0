namespace Virtwire.Protocol;

/// <summary>
/// Array and string maxima of the remote program. These are libvirt 11.x's values (protocol-facts §1.6):
/// limits only ever grow, so decoding with the newest is generous to every peer.
/// </summary>
public static class RemoteLimits
{
    public const int String = 4194304;
    public const int DomainList = 16384;
    public const int NetworkList = 16384;
    public const int StoragePoolList = 16384;
    public const int StorageVolList = 16384;
    public const int AuthTypeList = 20;
    public const int SaslData = 65536;
    public const int DomainStats = 262144;
    public const int DomainMessages = 2048;
    public const int NodeMaxCells = 1024;
    public const int SecurityModel = 257;
    public const int SecurityDoi = 257;
    public const int SecurityLabel = 4097;
    public const int IdentityParams = 20;
    public const int TypedParams = 16384;
    public const int Uuid = 16;
    public const int DomainMemoryStats = 1024;
}
