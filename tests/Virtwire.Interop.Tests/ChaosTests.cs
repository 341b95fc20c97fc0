using System.Buffers.Binary;
using System.Net.Sockets;
using Virtwire.Client;
using Virtwire.TestKit.Captures;
using Virtwire.TestKit.Peers;

namespace Virtwire.Interop.Tests;

/// <summary>
/// Garbage on the wire: random and mutated frames, truncations, huge declared lengths, half-sent frames
/// left hanging. The daemon answers or disconnects cleanly, keeps serving everyone else, and its memory
/// stays bounded.
/// </summary>
public sealed class ChaosTests
{
    private static async Task AssertServingAsync(DaemonProcess daemon, CancellationToken ct)
    {
        await using var conn = await VirtConnection.OpenAsync(daemon.UnixUri, cancellationToken: ct);
        Assert.Equal("test", (await conn.LookupDomainByNameAsync("test", ct)).Name);
    }

    [Fact]
    public async Task ThousandsOfBadFrames_DaemonKeepsServing_MemoryBounded()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var daemon = await DaemonProcess.StartVirtwiredAsync(ct);
        await AssertServingAsync(daemon, ct);
        var baseline = ProcessProbe.RssKiB(daemon.Pid);
        var random = new Random(42);
        var captured = CaptureFile.Names.SelectMany(CaptureFile.Load).Where(f => f.Direction == CaptureDirection.ClientToServer).ToArray();

        // CI runs 3,000; by hand: VIRTWIRE_CHAOS_FRAMES=100000 dotnet test … --filter ThousandsOfBadFrames.
        var frames = int.TryParse(Environment.GetEnvironmentVariable("VIRTWIRE_CHAOS_FRAMES"), out var n) ? n : 3000;
        for (var i = 0; i < frames; i++)
        {
            byte[] frame;
            switch (i % 5)
            {
                case 0:
                    // Random bytes.
                    frame = new byte[random.Next(0, 200)];
                    random.NextBytes(frame);
                    break;
                case 1:
                    // A real call with a few bytes flipped.
                    frame = (byte[])captured[random.Next(captured.Length)].Bytes.Clone();
                    for (var k = 0; k < 3; k++)
                    {
                        frame[random.Next(4, frame.Length)] ^= (byte)random.Next(1, 256);
                    }

                    break;
                case 2:
                    // A declared length up to 4 GiB with almost nothing behind it.
                    frame = new byte[8];
                    BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)random.NextInt64(0, uint.MaxValue));
                    break;
                case 3:
                    // A real call, truncated.
                    var whole = captured[random.Next(captured.Length)].Bytes;
                    frame = whole[..random.Next(1, whole.Length)];
                    break;
                default:
                    // A real call with bogus program, version, type, status or serial.
                    frame = (byte[])captured[random.Next(captured.Length)].Bytes.Clone();
                    BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4 + (4 * random.Next(6))), random.Next());
                    break;
            }

            using var socket = await daemon.ConnectRawAsync(ct);
            try
            {
                await socket.SendAsync(frame, ct);
            }
            catch (SocketException)
            {
                // The daemon may already have hung up on an impossible length word.
            }
        }

        await AssertServingAsync(daemon, ct);
        Assert.False(daemon.HasExited);
        Assert.True(ProcessProbe.RssKiB(daemon.Pid) - baseline < 200 * 1024, $"RSS grew from {baseline} KiB to {ProcessProbe.RssKiB(daemon.Pid)} KiB");
    }

    [Fact]
    public async Task HalfSentFramesLeftHanging_DoNotStopOtherClients()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var daemon = await DaemonProcess.StartVirtwiredAsync(ct);
        var slow = new List<Socket>();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var socket = await daemon.ConnectRawAsync(ct);
                // A length word promising 16 MiB, then silence.
                await socket.SendAsync(Convert.FromHexString("0100000020008086"), ct);
                slow.Add(socket);
            }

            await AssertServingAsync(daemon, ct);
        }
        finally
        {
            foreach (var socket in slow)
            {
                socket.Dispose();
            }
        }

        await AssertServingAsync(daemon, ct);
    }
}
