using System.Text.Json;

namespace Flexprice.Importer.Running;

/// <summary>Reads and writes a checkpoint file: written to a temporary file, flushed to disk, then renamed over the old one, so a kill leaves the old or the new, never half of one.</summary>
public sealed class CheckpointStore(string path)
{
    public const int Version = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public string Path { get; } = path;

    public Checkpoint? Read()
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        var checkpoint = JsonSerializer.Deserialize<Checkpoint>(File.ReadAllBytes(Path), Json)
            ?? throw new InvalidDataException($"{Path} is empty");
        return checkpoint.Version == Version ? checkpoint : throw new InvalidDataException($"{Path} has version {checkpoint.Version}; this importer reads version {Version}");
    }

    public void Write(Checkpoint checkpoint)
    {
        var temporary = Path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, checkpoint, Json);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path, overwrite: true);
    }
}
