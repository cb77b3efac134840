namespace Flexprice.Importer.Running;

/// <summary>The import cannot go on (the key or the URL was refused); the checkpoint keeps what was done.</summary>
public sealed class ImportFailedException(string message) : Exception(message);
