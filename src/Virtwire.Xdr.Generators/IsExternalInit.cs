namespace System.Runtime.CompilerServices;

// Records and init accessors need this type; netstandard2.0 lacks it.
internal static class IsExternalInit
{
}
