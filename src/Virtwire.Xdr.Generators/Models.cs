using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Virtwire.Xdr.Generators;

/// <summary>An immutable array with value equality, so pipeline models cache correctly.</summary>
internal readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IEnumerable<T>
    where T : IEquatable<T>
{
    private readonly ImmutableArray<T> _items;

    public EquatableArray(ImmutableArray<T> items) => _items = items;

    public ImmutableArray<T> Items => _items.IsDefault ? ImmutableArray<T>.Empty : _items;

    public int Count => Items.Length;

    public bool Equals(EquatableArray<T> other) => Items.SequenceEqual(other.Items);

    public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = 17;
        foreach (var item in Items)
        {
            hash = (hash * 31) + item.GetHashCode();
        }

        return hash;
    }

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)Items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

internal enum FieldKind
{
    Int32,
    UInt32,
    Int64,
    UInt64,
    Double,
    Bool,
    Byte,
    UInt16,
    Enum,
    String,
    OptionalString,
    Opaque,
    FixedOpaque,
    CharArray,
    FixedCharArray,
    Uuid,
    Struct,
    OptionalStruct,
    Array,
    FixedArray,
}

internal sealed record ElementSpec(FieldKind Kind, string TypeName, bool IsValueType, int Max);

internal sealed record FieldSpec(string Name, FieldKind Kind, string TypeName, bool IsValueType, int Max, ElementSpec? Element);

internal sealed record ContainerSpec(string Keyword, string Name);

internal sealed record LocationSpec(string Path, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(Path, Span, LineSpan);

    public static LocationSpec? From(Location? location) =>
        location is null || location.SourceTree is null
            ? null
            : new LocationSpec(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
}

internal sealed record DiagnosticSpec(string Id, string Message, LocationSpec? Location);

internal sealed record StructSpec(
    string Namespace,
    EquatableArray<ContainerSpec> Containers,
    string Keyword,
    string Name,
    string FullName,
    EquatableArray<FieldSpec> Fields,
    EquatableArray<DiagnosticSpec> Diagnostics);

internal sealed record ProcedureSpec(
    string MethodName,
    int Number,
    int Priority,
    bool ReadOnly,
    bool BeforeAuth,
    int Kind,
    int Stream,
    string? ArgsType,
    string? ResultType);

internal sealed record ProgramSpec(
    string Namespace,
    string Accessibility,
    string BaseName,
    uint Program,
    uint Version,
    EquatableArray<ProcedureSpec> Procedures,
    EquatableArray<DiagnosticSpec> Diagnostics);
