using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Virtwire.Drivers.Qemu;

/// <summary>An asynchronous event from QEMU (SHUTDOWN, STOP, RESUME, RESET, POWERDOWN, …).</summary>
internal sealed record QmpEvent(string Name, JsonElement Data);

/// <summary>QEMU answered a command with an error.</summary>
internal sealed class QmpException(string command, string errorClass, string description)
    : Exception($"QEMU refused '{command}': {description}")
{
    public string ErrorClass { get; } = errorClass;

    public string Description { get; } = description;
}

/// <summary>
/// A managed client of the QEMU Machine Protocol over the monitor's unix socket: capabilities negotiation,
/// commands matched to their answers by id (several may be in flight), events delivered in order to one
/// handler, and <see cref="Closed"/> completing when QEMU closes the socket (its process has exited).
/// </summary>
internal sealed class QmpClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<QmpEvent> _onEvent;
    private long _nextId;
    private Task? _readLoop;

    private QmpClient(Socket socket, Action<QmpEvent> onEvent)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024);
        _onEvent = onEvent;
    }

    /// <summary>Completes when QEMU closes the monitor (normally: the process exited).</summary>
    public Task Closed => _closed.Task;

    /// <summary>Connects to <paramref name="path"/>, reads the greeting and leaves capabilities negotiation mode.</summary>
    public static async Task<QmpClient> ConnectAsync(string path, Action<QmpEvent> onEvent, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        QmpClient? client = null;
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
            client = new QmpClient(socket, onEvent);
            var greeting = await client._reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new IOException("QEMU closed the monitor before its greeting");
            using (var document = JsonDocument.Parse(greeting))
            {
                if (!document.RootElement.TryGetProperty("QMP", out _))
                {
                    throw new IOException("unexpected QEMU monitor greeting: " + greeting);
                }
            }

            client._readLoop = Task.Run(client.ReadLoopAsync, CancellationToken.None);
            await client.ExecuteAsync("qmp_capabilities", null, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            if (client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>Runs a command and returns its "return" value.</summary>
    public async Task<JsonElement> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var request = new JsonObject { ["execute"] = command, ["id"] = id };
        if (arguments is not null)
        {
            request["arguments"] = arguments;
        }

        var waiter = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = waiter;
        try
        {
            if (_closed.Task.IsCompleted)
            {
                throw new IOException("the QEMU monitor is closed");
            }

            var bytes = Encoding.UTF8.GetBytes(request.ToJsonString() + "\n");
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }

            var answer = await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (answer.TryGetProperty("error", out var error))
            {
                throw new QmpException(command,
                    error.TryGetProperty("class", out var cls) ? cls.GetString() ?? "" : "",
                    error.TryGetProperty("desc", out var desc) ? desc.GetString() ?? "" : error.ToString());
            }

            return answer.TryGetProperty("return", out var value) ? value : default;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                JsonElement message;
                using (var document = JsonDocument.Parse(line))
                {
                    message = document.RootElement.Clone();
                }

                if (message.TryGetProperty("event", out var name))
                {
                    var data = message.TryGetProperty("data", out var d) ? d : default;
                    _onEvent(new QmpEvent(name.GetString() ?? "", data));
                }
                else if (message.TryGetProperty("id", out var idElement) && idElement.TryGetInt64(out var id) && _pending.TryGetValue(id, out var waiter))
                {
                    waiter.TrySetResult(message);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or JsonException)
        {
        }
        finally
        {
            var closed = new IOException("the QEMU monitor closed");
            foreach (var waiter in _pending.Values)
            {
                waiter.TrySetException(closed);
            }

            _closed.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (_readLoop is not null)
        {
            await _readLoop.ConfigureAwait(false);
        }

        _reader.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        _writeLock.Dispose();
    }
}
