using System.CommandLine;
using Virtwire.Cli;

// virtwire: virsh's commands with virsh's output, over Virtwire.Client. Like virsh, several commands
// may be given in one argument separated by ';' and share one connection.
await using var session = new CliSession(Console.Out, Console.Error);
return await CliApp.RunAsync(session, args, CancellationToken.None);
