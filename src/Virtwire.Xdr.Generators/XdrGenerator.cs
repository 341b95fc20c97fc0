using Microsoft.CodeAnalysis;

namespace Virtwire.Xdr.Generators;

/// <summary>
/// Emits XDR codecs for <c>[XdrStruct]</c> types and, for each <c>[RpcProgram]</c> interface, its
/// procedure table, client stub and server base. One declaration per procedure; no second table.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class XdrGenerator : IIncrementalGenerator
{
    private static readonly DiagnosticDescriptor NotPartial = new(
        "VWXDR001", "XDR type must be partial", "{0}", "Virtwire.Xdr", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor Unsupported = new(
        "VWXDR002", "Unsupported XDR property type", "{0}", "Virtwire.Xdr", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor BadProcedure = new(
        "VWXDR003", "Invalid RPC procedure", "{0}", "Virtwire.Xdr", DiagnosticSeverity.Error, isEnabledByDefault: true);

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var structs = context.SyntaxProvider.ForAttributeWithMetadataName(
                "Virtwire.Xdr.XdrStructAttribute",
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                StructParser.Parse)
            .WithTrackingName("XdrStructs");

        context.RegisterSourceOutput(structs, static (spc, spec) =>
        {
            foreach (var diagnostic in spec.Diagnostics)
            {
                Report(spc, diagnostic);
            }

            if (spec.Diagnostics.Count == 0)
            {
                var hint = (spec.Namespace.Length > 0 ? spec.Namespace + "." : string.Empty) +
                    string.Concat(System.Linq.Enumerable.Select(spec.Containers, c => c.Name + ".")) + spec.Name;
                spc.AddSource(hint + ".Xdr.g.cs", StructEmitter.Emit(spec));
            }
        });

        var programs = context.SyntaxProvider.ForAttributeWithMetadataName(
                "Virtwire.Rpc.RpcProgramAttribute",
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.InterfaceDeclarationSyntax,
                ProgramParser.Parse)
            .WithTrackingName("RpcPrograms");

        context.RegisterSourceOutput(programs, static (spc, spec) =>
        {
            foreach (var diagnostic in spec.Diagnostics)
            {
                Report(spc, diagnostic);
            }

            var prefix = (spec.Namespace.Length > 0 ? spec.Namespace + "." : string.Empty) + spec.BaseName;
            spc.AddSource(prefix + ".g.cs", ProgramEmitter.EmitTable(spec));
            spc.AddSource(prefix + "Client.g.cs", ProgramEmitter.EmitClient(spec));
            spc.AddSource(prefix + "ServerBase.g.cs", ProgramEmitter.EmitServer(spec));
        });
    }

    private static void Report(SourceProductionContext context, DiagnosticSpec diagnostic)
    {
        var descriptor = diagnostic.Id switch
        {
            "VWXDR001" => NotPartial,
            "VWXDR002" => Unsupported,
            _ => BadProcedure,
        };
        context.ReportDiagnostic(Diagnostic.Create(descriptor, diagnostic.Location?.ToLocation(), diagnostic.Message));
    }
}
