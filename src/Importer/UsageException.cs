namespace Flexprice.Importer;

/// <summary>A bad command line: the message (null for --help) and the usage text.</summary>
public sealed class UsageException(string? message) : Exception(message ?? "");
