using System.Globalization;
using Flexprice.Importer.Input;

namespace Flexprice.Importer;

/// <summary>The command line of <c>scripts/import</c>.</summary>
public sealed record ImportOptions(
    string File,
    Uri Url,
    string ApiKey,
    InputFormat Format,
    int BatchSize,
    int Concurrency,
    int Window,
    bool Resume,
    string CheckpointPath,
    string RejectedPath,
    ProgressMode Progress)
{
    public const string Usage = """
        usage: scripts/import FILE [options]

        Sends the events of FILE (NDJSON: one event object per line; or CSV with a header row) to
        Flexprice in bulks, resumably and idempotently. Lines the server refuses go to
        FILE.rejected.ndjson with the reason.

          --url URL            the API (default: $FLEXPRICE_URL, else http://127.0.0.1:8080)
          --api-key KEY        the API key (default: $FLEXPRICE_API_KEY)
          --format F           ndjson or csv (default: from the file name; .csv is csv, else ndjson)
          --batch-size N       events per bulk request, 1 to 1000 (default 1000)
          --concurrency N      bulk requests in flight (default 4)
          --window N           records held at once, whose events are sent grouped by customer
                               (default 100000; memory: two windows, at most 32 MB of JSON each)
          --resume             continue from the checkpoint of an earlier run of this file
          --checkpoint PATH    the checkpoint file (default FILE.checkpoint.json)
          --rejected PATH      the rejected-lines file (default FILE.rejected.ndjson)
          --progress MODE      bar, plain (a line every 5 s), none, or auto (bar on a terminal; default)

        CSV columns: event_name, external_customer_id, event_id, timestamp, source, customer_id, and
        properties.<name> for each property (cells that are JSON numbers are sent as numbers).
        An event without event_id gets imp_<line>_<hash of the line>: the same on every run.
        Exit status: 0 when every line is done (sent or rejected), 1 on failure or interruption
        (the checkpoint lets --resume continue), 2 on a usage error.
        """;

    public static ImportOptions Parse(string[] args)
    {
        string? file = null, url = null, key = null, format = null, checkpoint = null, rejected = null;
        var (batchSize, concurrency, window, resume, progress) = (1000, 4, 100_000, false, ProgressMode.Auto);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            int Number(int min, int max)
            {
                var name = args[i];
                return int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                    ? n
                    : throw new UsageException($"{name} takes a number from {min} to {max}");
            }

            switch (args[i])
            {
                case "--url": url = Value(); break;
                case "--api-key": key = Value(); break;
                case "--format": format = Value(); break;
                case "--batch-size": batchSize = Number(1, 1000); break;
                case "--concurrency": concurrency = Number(1, 64); break;
                case "--window": window = Number(1, 10_000_000); break;
                case "--resume": resume = true; break;
                case "--checkpoint": checkpoint = Value(); break;
                case "--rejected": rejected = Value(); break;
                case "--progress":
                    progress = Enum.TryParse<ProgressMode>(Value(), ignoreCase: true, out var mode) ? mode : throw new UsageException("--progress is bar, plain, none or auto");
                    break;
                case "-h" or "--help": throw new UsageException(null);
                case var a when a.StartsWith('-'): throw new UsageException($"unknown option {a}");
                default:
                    file = file is null ? args[i] : throw new UsageException("one FILE at a time");
                    break;
            }
        }

        if (file is null)
        {
            throw new UsageException("FILE is missing");
        }

        url ??= Environment.GetEnvironmentVariable("FLEXPRICE_URL") is { Length: > 0 } u ? u : "http://127.0.0.1:8080";
        key ??= Environment.GetEnvironmentVariable("FLEXPRICE_API_KEY");
        if (string.IsNullOrEmpty(key))
        {
            throw new UsageException("no API key: give --api-key or set FLEXPRICE_API_KEY");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new UsageException($"--url {url} is not an http(s) URL");
        }

        var inputFormat = format?.ToLowerInvariant() switch
        {
            null => file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? InputFormat.Csv : InputFormat.Ndjson,
            "ndjson" or "jsonl" => InputFormat.Ndjson,
            "csv" => InputFormat.Csv,
            _ => throw new UsageException("--format is ndjson or csv"),
        };

        return new ImportOptions(file, uri, key, inputFormat, batchSize, concurrency, window, resume,
            checkpoint ?? file + ".checkpoint.json", rejected ?? file + ".rejected.ndjson", progress);
    }
}
