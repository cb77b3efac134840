namespace Flexprice.Importer;

/// <summary>How the importer shows its progress: <c>Auto</c> is a bar on a terminal, plain lines otherwise.</summary>
public enum ProgressMode
{
    Auto,
    Bar,
    Plain,
    None,
}
