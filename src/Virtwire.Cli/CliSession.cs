using System.Text.Json.Nodes;
using Virtwire.Client;

namespace Virtwire.Cli;

/// <summary>A command failed; virsh prints each line as "error: …".</summary>
internal sealed class CliException(params string[] lines) : Exception(string.Join("\n", lines))
{
    public IReadOnlyList<string> Lines { get; } = lines;

    /// <summary>
    /// The connection could not be opened. virsh connects before its first command, so then it runs none: it prints
    /// the error, no command's closing empty line, and exits with 1.
    /// </summary>
    public bool EndsSession { get; init; }
}

/// <summary>State shared by the commands of one invocation: one connection, the output, the output mode.</summary>
internal sealed class CliSession(TextWriter output, TextWriter error) : IAsyncDisposable
{
    private VirtConnection? _connection;

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>Raw input for interactive commands (console): standard input unless a test supplies its own.</summary>
    public Stream? Input { get; set; }

    /// <summary>Raw output for interactive commands; null writes through <see cref="Out"/> as UTF-8.</summary>
    public Stream? RawOutput { get; set; }

    public string? Uri { get; set; }

    public bool ReadOnly { get; set; }

    public bool Json { get; set; }

    /// <summary>The connection, opened on first use (virsh connects lazily too) and reused by every command.</summary>
    public async ValueTask<VirtConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            return _connection;
        }

        var uri = Uri ?? Environment.GetEnvironmentVariable("VIRTWIRE_DEFAULT_URI") ?? Environment.GetEnvironmentVariable("LIBVIRT_DEFAULT_URI") ?? "qemu:///system";
        try
        {
            _connection = ReadOnly
                ? await VirtConnection.OpenReadOnlyAsync(uri, cancellationToken: cancellationToken)
                : await VirtConnection.OpenAsync(uri, cancellationToken: cancellationToken);
        }
        catch (VirtException ex)
        {
            throw new CliException("failed to connect to the hypervisor", ex.Message) { EndsSession = true };
        }

        return _connection;
    }

    /// <summary>Finds a domain as virsh does; a failure is virsh's "failed to get domain".</summary>
    public async ValueTask<VirtDomain> DomainAsync(string name, CancellationToken cancellationToken, bool allowId = true)
    {
        var connection = await ConnectAsync(cancellationToken);
        try
        {
            return allowId || !int.TryParse(name, out _)
                ? await connection.LookupDomainAsync(name, cancellationToken)
                : await connection.LookupDomainByNameAsync(name, cancellationToken);
        }
        catch (VirtException ex) when (ex.Code == Virtwire.Rpc.VirtErrorCode.NoDomain)
        {
            throw new CliException($"failed to get domain '{name}'");
        }
    }

    public void WriteJson(JsonNode node) => Out.Write(node.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}
