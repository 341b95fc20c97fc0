using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Virtwire.Xdr.Generators;

/// <summary>Turns an <c>[XdrStruct]</c> type symbol into an equatable <see cref="StructSpec"/>.</summary>
internal static class StructParser
{
    public const string DefaultMax = "4194304";
    private const string XdrNs = "Virtwire.Xdr";

    public static StructSpec Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var diagnostics = new List<DiagnosticSpec>();
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        if (!syntax.Modifiers.Any(m => m.Text == "partial"))
        {
            diagnostics.Add(new DiagnosticSpec("VWXDR001", $"XDR type '{type.Name}' must be declared partial", LocationSpec.From(syntax.Identifier.GetLocation())));
        }

        var containers = new List<ContainerSpec>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containers.Insert(0, new ContainerSpec(Keyword(outer), outer.Name));
        }

        var fields = new List<FieldSpec>();
        foreach (var member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is not IPropertySymbol property || property.IsStatic || property.IsIndexer ||
                property.DeclaredAccessibility != Accessibility.Public || property.SetMethod is null ||
                HasAttribute(property, "XdrIgnoreAttribute"))
            {
                continue;
            }

            var field = ParseField(property, out var error);
            if (field is null)
            {
                diagnostics.Add(new DiagnosticSpec("VWXDR002",
                    $"property '{type.Name}.{property.Name}' has type '{property.Type.ToDisplayString()}' which XDR cannot encode: {error}",
                    LocationSpec.From(property.Locations.FirstOrDefault())));
                continue;
            }

            fields.Add(field);
        }

        return new StructSpec(
            type.ContainingNamespace.IsGlobalNamespace ? string.Empty : type.ContainingNamespace.ToDisplayString(),
            new EquatableArray<ContainerSpec>(containers.ToImmutableArray()),
            Keyword(type),
            type.Name,
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            new EquatableArray<FieldSpec>(fields.ToImmutableArray()),
            new EquatableArray<DiagnosticSpec>(diagnostics.ToImmutableArray()));
    }

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, IsValueType: true } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Interface } => "interface",
        { IsValueType: true } => "struct",
        { IsStatic: true } => "static class",
        _ => "class",
    };

    private static bool HasAttribute(ISymbol symbol, string name) =>
        symbol.GetAttributes().Any(a => a.AttributeClass?.Name == name && a.AttributeClass.ContainingNamespace.ToDisplayString() == XdrNs);

    private static int? IntArgument(ISymbol symbol, string name)
    {
        var attribute = symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.Name == name);
        return attribute is { ConstructorArguments.Length: > 0 } && attribute.ConstructorArguments[0].Value is int value ? value : null;
    }

    private static FieldSpec? ParseField(IPropertySymbol property, out string error)
    {
        error = string.Empty;
        var max = IntArgument(property, "XdrMaxAttribute");
        var fixedLength = IntArgument(property, "XdrFixedAttribute");
        var isChar = HasAttribute(property, "XdrCharArrayAttribute");
        var optional = HasAttribute(property, "XdrOptionalAttribute");
        var type = property.Type;
        var typeName = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

        if (type is IArrayTypeSymbol array)
        {
            if (array.ElementType.SpecialType == SpecialType.System_Byte)
            {
                if (isChar)
                {
                    return fixedLength is int n
                        ? new FieldSpec(property.Name, FieldKind.FixedCharArray, typeName, false, n, null)
                        : new FieldSpec(property.Name, FieldKind.CharArray, typeName, false, max ?? int.Parse(DefaultMax), null);
                }

                return fixedLength is int f
                    ? new FieldSpec(property.Name, FieldKind.FixedOpaque, typeName, false, f, null)
                    : new FieldSpec(property.Name, FieldKind.Opaque, typeName, false, max ?? int.Parse(DefaultMax), null);
            }

            var element = ParseScalar(array.ElementType, optional: false, DefaultMaxFor(array.ElementType), out error);
            if (element is null)
            {
                return null;
            }

            if (fixedLength is int count)
            {
                return new FieldSpec(property.Name, FieldKind.FixedArray, typeName, false, count, element);
            }

            if (max is null)
            {
                error = "variable-length arrays need [XdrMax(n)] or [XdrFixed(n)]";
                return null;
            }

            return new FieldSpec(property.Name, FieldKind.Array, typeName, false, max.Value, element);
        }

        var scalar = ParseScalar(type, optional, max ?? DefaultMaxFor(type), out error);
        return scalar is null ? null : new FieldSpec(property.Name, scalar.Kind, scalar.TypeName, scalar.IsValueType, scalar.Max, null);
    }

    private static int DefaultMaxFor(ITypeSymbol type) => int.Parse(DefaultMax);

    private static ElementSpec? ParseScalar(ITypeSymbol type, bool optional, int max, out string error)
    {
        error = string.Empty;
        var name = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var nullableAnnotated = type.NullableAnnotation == NullableAnnotation.Annotated;
        switch (type.SpecialType)
        {
            case SpecialType.System_Int32: return new ElementSpec(FieldKind.Int32, name, true, 0);
            case SpecialType.System_UInt32: return new ElementSpec(FieldKind.UInt32, name, true, 0);
            case SpecialType.System_Int64: return new ElementSpec(FieldKind.Int64, name, true, 0);
            case SpecialType.System_UInt64: return new ElementSpec(FieldKind.UInt64, name, true, 0);
            case SpecialType.System_Double: return new ElementSpec(FieldKind.Double, name, true, 0);
            case SpecialType.System_Boolean: return new ElementSpec(FieldKind.Bool, name, true, 0);
            case SpecialType.System_Byte: return new ElementSpec(FieldKind.Byte, name, true, 0);
            case SpecialType.System_UInt16: return new ElementSpec(FieldKind.UInt16, name, true, 0);
            case SpecialType.System_String:
                return new ElementSpec(nullableAnnotated || optional ? FieldKind.OptionalString : FieldKind.String, "string", false, max);
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            return new ElementSpec(FieldKind.Enum, name, true, 0);
        }

        // Nullable<T> of an XDR value type: optional data.
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            var inner = nullable.TypeArguments[0];
            if (IsXdrType(inner))
            {
                return new ElementSpec(FieldKind.OptionalStruct, inner.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), true, 0);
            }

            error = "Nullable<T> is only supported for XDR types";
            return null;
        }

        if (type.Name == "XdrUuid" && type.ContainingNamespace.ToDisplayString() == XdrNs)
        {
            return new ElementSpec(FieldKind.Uuid, name, true, 0);
        }

        if (IsXdrType(type))
        {
            var bare = type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            var isOptional = (nullableAnnotated && !type.IsValueType) || optional;
            return new ElementSpec(isOptional ? FieldKind.OptionalStruct : FieldKind.Struct, bare, type.IsValueType, 0);
        }

        error = "it is neither a primitive, string, byte[], XdrUuid, enum, array nor an XDR type";
        return null;
    }

    private static bool IsXdrType(ITypeSymbol type) =>
        type.GetAttributes().Any(a => a.AttributeClass?.Name == "XdrStructAttribute") ||
        type.AllInterfaces.Any(i => i.Name == "IXdrType" && i.ContainingNamespace.ToDisplayString() == XdrNs);
}
