namespace Virtwire.Fuzz;

/// <summary>
/// Makes inputs for the in-process runner: random bytes, or a corpus input with a few stacked
/// mutations. XDR is built of big-endian 4-byte words, so besides AFL's classic byte mutations it
/// overwrites aligned words with lengths and boundary values, which is what reaches length checks.
/// </summary>
public sealed class Mutator
{
    private const int MaxInputLength = 64 * 1024;

    // Boundaries of every length and count check: 0, 1, sign changes, the 4 MiB string and 32 MiB message caps.
    private static readonly uint[] InterestingWords =
    [
        0, 1, 2, 3, 4, 7, 8, 16, 24, 28, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000,
        0x3fffff, 0x400000, 0x400001, 0x1ffffff, 0x2000000, 0x2000004, 0x2000005,
        0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
    ];

    private static readonly byte[] InterestingBytes = [0, 1, 0x7f, 0x80, 0xff, (byte)'<', (byte)'>', (byte)'&', (byte)'\'', (byte)'"'];

    private readonly Random _random;
    private readonly IReadOnlyList<byte[]> _corpus;
    private readonly IReadOnlyList<byte[]> _tokens;

    public Mutator(Random random, IReadOnlyList<byte[]> corpus, IReadOnlyList<byte[]> tokens)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(tokens);
        _random = random;
        _corpus = corpus;
        _tokens = tokens;
    }

    /// <summary>The next input: one in twenty is random bytes, the rest mutate a corpus input.</summary>
    public byte[] Next()
    {
        if (_corpus.Count == 0 || _random.Next(20) == 0)
        {
            var bytes = new byte[_random.Next(0, 129)];
            _random.NextBytes(bytes);
            return bytes;
        }

        var data = new List<byte>(_corpus[_random.Next(_corpus.Count)]);
        var rounds = 1 << _random.Next(4);
        for (var i = 0; i < rounds; i++)
        {
            Mutate(data);
        }

        if (data.Count > MaxInputLength)
        {
            data.RemoveRange(MaxInputLength, data.Count - MaxInputLength);
        }

        return [.. data];
    }

    private void Mutate(List<byte> data)
    {
        switch (_random.Next(_tokens.Count > 0 ? 12 : 10))
        {
            case 0 when data.Count > 0:
                data[_random.Next(data.Count)] ^= (byte)(1 << _random.Next(8));
                break;
            case 1 when data.Count > 0:
                data[_random.Next(data.Count)] = (byte)_random.Next(256);
                break;
            case 2 when data.Count > 0:
                data[_random.Next(data.Count)] = InterestingBytes[_random.Next(InterestingBytes.Length)];
                break;
            case 3 when data.Count >= 4:
                SetWordAt(data, AlignedOffset(data.Count), InterestingWords[_random.Next(InterestingWords.Length)]);
                break;
            case 4 when data.Count >= 4:
                AddToWord(data, _random.Next(-35, 36));
                break;
            case 5 when data.Count > 0:
                var start = _random.Next(data.Count);
                data.RemoveRange(start, _random.Next(1, Math.Min(data.Count - start, 64) + 1));
                break;
            case 6:
                var random = new byte[_random.Next(1, 17)];
                _random.NextBytes(random);
                data.InsertRange(_random.Next(data.Count + 1), random);
                break;
            case 7 when data.Count > 0:
                var from = _random.Next(data.Count);
                var chunk = data.GetRange(from, _random.Next(1, Math.Min(data.Count - from, 256) + 1));
                data.InsertRange(_random.Next(data.Count + 1), chunk);
                break;
            case 8 when data.Count > 0:
                var cut = _random.Next(data.Count);
                data.RemoveRange(cut, data.Count - cut);
                break;
            case 9 when _corpus.Count > 0:
                var other = _corpus[_random.Next(_corpus.Count)];
                var at = _random.Next(data.Count + 1);
                data.RemoveRange(at, data.Count - at);
                data.AddRange(other.AsSpan(_random.Next(other.Length + 1)).ToArray());
                break;
            case 10:
                data.InsertRange(_random.Next(data.Count + 1), _tokens[_random.Next(_tokens.Count)]);
                break;
            case 11:
                var token = _tokens[_random.Next(_tokens.Count)];
                var position = _random.Next(data.Count + 1);
                data.RemoveRange(position, Math.Min(token.Length, data.Count - position));
                data.InsertRange(position, token);
                break;
        }
    }

    private int AlignedOffset(int count) => _random.Next(2) == 0 ? _random.Next(count / 4) * 4 : _random.Next(count - 3);

    private void AddToWord(List<byte> data, int delta)
    {
        var offset = AlignedOffset(data.Count);
        var word = (uint)(data[offset] << 24 | data[offset + 1] << 16 | data[offset + 2] << 8 | data[offset + 3]);
        SetWordAt(data, offset, unchecked(word + (uint)delta));
    }

    private static void SetWordAt(List<byte> data, int offset, uint value)
    {
        data[offset] = (byte)(value >> 24);
        data[offset + 1] = (byte)(value >> 16);
        data[offset + 2] = (byte)(value >> 8);
        data[offset + 3] = (byte)value;
    }
}
