namespace Virtwire.Rpc;

/// <summary>libvirt's message size limits (protocol-facts §1.6).</summary>
public static class RpcLimits
{
    /// <summary>Bytes of the length word, which counts itself.</summary>
    public const int LengthWordSize = 4;

    /// <summary>Bytes of the header: six 4-byte fields.</summary>
    public const int HeaderSize = 24;

    /// <summary>The smallest legal value of the length word: length word plus header, no payload.</summary>
    public const int MinFrameLength = LengthWordSize + HeaderSize;

    /// <summary>
    /// Largest packet excluding the length word. libvirt 9.x (Debian 12) uses 32 MiB;
    /// older releases used 16 MiB, and a message between the two is refused by them.
    /// </summary>
    public const int MaxMessageSize = 32 * 1024 * 1024;

    /// <summary>The largest legal value of the length word.</summary>
    public const int MaxFrameLength = MaxMessageSize + LengthWordSize;

    /// <summary>Largest payload: message minus header.</summary>
    public const int MaxPayloadSize = MaxMessageSize - HeaderSize;

    /// <summary>Largest string libvirt accepts (<c>VIR_NET_MESSAGE_STRING_MAX</c>, <c>REMOTE_STRING_MAX</c>).</summary>
    public const int MaxString = 4 * 1024 * 1024;

    /// <summary>Stream data chunk libvirt's daemon reads at a time (legacy payload max).</summary>
    public const int StreamChunkSize = 256 * 1024;

    /// <summary>File descriptors per message.</summary>
    public const int MaxFds = 32;
}
