using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace Virtwire.Xdr.Generators;

/// <summary>Turns an <c>[RpcProgram]</c> interface into a <see cref="ProgramSpec"/>.</summary>
internal static class ProgramParser
{
    public static ProgramSpec Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var attribute = context.Attributes[0];
        var program = attribute.ConstructorArguments.Length > 0 ? System.Convert.ToUInt32(attribute.ConstructorArguments[0].Value) : 0u;
        var version = attribute.ConstructorArguments.Length > 1 ? System.Convert.ToUInt32(attribute.ConstructorArguments[1].Value) : 0u;
        var diagnostics = new List<DiagnosticSpec>();
        var procedures = new List<ProcedureSpec>();
        var seen = new HashSet<int>();

        foreach (var method in type.GetMembers().OfType<IMethodSymbol>())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var procedure = method.GetAttributes().FirstOrDefault(a => a.AttributeClass?.Name == "RpcProcedureAttribute");
            if (procedure is null)
            {
                continue;
            }

            var number = (int)procedure.ConstructorArguments[0].Value!;
            int priority = 0, kind = 0, stream = 0;
            bool readOnly = false, beforeAuth = false;
            foreach (var named in procedure.NamedArguments)
            {
                switch (named.Key)
                {
                    case "Priority": priority = (int)named.Value.Value!; break;
                    case "Kind": kind = (int)named.Value.Value!; break;
                    case "Stream": stream = (int)named.Value.Value!; break;
                    case "ReadOnly": readOnly = (bool)named.Value.Value!; break;
                    case "BeforeAuth": beforeAuth = (bool)named.Value.Value!; break;
                }
            }

            var location = LocationSpec.From(method.Locations.FirstOrDefault());
            if (method.Parameters.Length > 1)
            {
                diagnostics.Add(new DiagnosticSpec("VWXDR003", $"procedure '{method.Name}' must take at most one parameter (its arguments record)", location));
                continue;
            }

            if (!seen.Add(number))
            {
                diagnostics.Add(new DiagnosticSpec("VWXDR003", $"procedure number {number} of '{method.Name}' is declared twice", location));
                continue;
            }

            var args = method.Parameters.Length == 1 ? method.Parameters[0].Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) : null;
            var result = method.ReturnsVoid ? null : method.ReturnType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            procedures.Add(new ProcedureSpec(method.Name, number, priority, readOnly, beforeAuth, kind, stream, args, result));
        }

        var baseName = type.Name.Length > 1 && type.Name[0] == 'I' && char.IsUpper(type.Name[1]) ? type.Name.Substring(1) : type.Name + "Program";
        return new ProgramSpec(
            type.ContainingNamespace.IsGlobalNamespace ? string.Empty : type.ContainingNamespace.ToDisplayString(),
            type.DeclaredAccessibility == Accessibility.Public ? "public" : "internal",
            baseName,
            program,
            version,
            new EquatableArray<ProcedureSpec>(procedures.OrderBy(p => p.Number).ToImmutableArray()),
            new EquatableArray<DiagnosticSpec>(diagnostics.ToImmutableArray()));
    }
}
