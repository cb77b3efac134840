using System.Threading.Channels;
using Flexprice.Client;
using Flexprice.Client.Events;
using Flexprice.Client.Sending;
using Flexprice.Importer.Input;

namespace Flexprice.Importer.Running;

/// <summary>
/// One run of an import. The file is read in order into chunks of up to <c>--window</c> records;
/// each chunk's events are grouped by customer and cut into bulks of up to <c>--batch-size</c>, which
/// <c>--concurrency</c> workers send. A bulk refused for some of its events (400 or 409 naming them)
/// has those set aside for the rejected file and the rest sent again; a refusal that names none is
/// halved until the culprits stand alone; a transient failure (no answer, 429, 5xx) is sent again
/// with the same ids after <c>Retry-After</c> or a backoff, until it passes. Chunks are committed in
/// order once all their bulks are done: the rejected file gets their refusals in line order, and the
/// checkpoint moves past a chunk only then, so after a kill the checkpoint (and the rejected file,
/// cut back to its length) describe exactly the records before its offset. Resending what came after
/// is safe: every event carries its id, and the server counts a repeated id zero more times. Memory
/// is bounded by two chunks.
/// </summary>
public sealed class ImportRun(ImportOptions options, FlexpriceClient client, TimeProvider time, TextWriter messages)
{
    private static readonly TimeSpan CheckpointEvery = TimeSpan.FromSeconds(1);

    private readonly object _commitLock = new();
    private readonly SortedDictionary<long, ImportChunk> _finished = [];
    private readonly Stack<ImportChunk> _pool = new();
    private CheckpointStore _store = null!;
    private RejectedFile _rejected = null!;
    private SemaphoreSlim _chunks = null!;
    private string _fingerprint = "";
    private long _started;
    private long _lastCheckpoint;
    private long _nextToCommit;
    private ImportTotals _totals = ImportTotals.Zero;
    private ImportTotals _runStartTotals = ImportTotals.Zero;
    private long _offset;
    private long _line = 1;
    private double _earlierSeconds;
    private int _runs;
    private long _sentLive;
    private long _sentAtCommit;
    private long _retries;

    /// <summary>The file's size in bytes (progress runs from <see cref="StartOffset"/> to here).</summary>
    public long FileBytes { get; private set; }

    /// <summary>Where this run started (0, or a checkpoint's offset).</summary>
    public long StartOffset { get; private set; }

    /// <summary>The offset before which every record is done (committed).</summary>
    public long DoneOffset => Interlocked.Read(ref _offset);

    /// <summary>An estimate of how far the run has got, committed chunks and acknowledged events of the others.</summary>
    public long ProgressOffset
    {
        get
        {
            var done = DoneOffset;
            var records = _totals.Records - _runStartTotals.Records;
            var perRecord = records > 0 ? (double)(done - StartOffset) / records : 0;
            return Math.Min(FileBytes, done + (long)(Math.Max(0, SentThisRun - Interlocked.Read(ref _sentAtCommit)) * perRecord));
        }
    }

    /// <summary>Events acknowledged in this run so far (bulks of chunks not committed yet included).</summary>
    public long SentThisRun => Interlocked.Read(ref _sentLive);

    /// <summary>Requests that failed transiently and were (or will be) sent again.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    public TimeSpan Elapsed => _started == 0 ? TimeSpan.Zero : time.GetElapsedTime(_started);

    /// <summary>What the run is doing now, for the progress display.</summary>
    public string Phase { get; private set; } = "starting";

    public async Task<ImportOutcome> RunAsync(CancellationToken cancellationToken)
    {
        _started = time.GetTimestamp();
        _store = new CheckpointStore(options.CheckpointPath);
        using var rejected = _rejected = new RejectedFile(options.RejectedPath);
        FileBytes = new FileInfo(options.File).Length;
        Phase = "hashing";
        _fingerprint = await FileFingerprint.ComputeAsync(options.File, cancellationToken);
        if (Start() is { } done)
        {
            return done;
        }

        Phase = "sending";
        using var source = Open();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var bulks = Channel.CreateBounded<(ImportChunk Chunk, int Start, int Count)>(2 * options.Concurrency);
        _chunks = new SemaphoreSlim(2, 2);
        _pool.Push(new ImportChunk());
        _pool.Push(new ImportChunk());

        var workers = Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(() => WorkAsync(bulks.Reader, stop))).ToList();
        string? failure = null;
        try
        {
            await ReadAsync(source, bulks.Writer, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Interrupted, or a worker failed: what is done is checkpointed below.
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            failure = $"reading {options.File} failed: {ex.Message}";
            await stop.CancelAsync();
        }
        finally
        {
            bulks.Writer.TryComplete();
        }

        try
        {
            await Task.WhenAll(workers);
        }
        catch (ImportFailedException ex)
        {
            failure ??= ex.Message;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            failure ??= workers.Select(w => w.Exception?.InnerException).OfType<ImportFailedException>().FirstOrDefault()?.Message;
        }

        var interrupted = failure is null && cancellationToken.IsCancellationRequested;
        var completed = failure is null && !interrupted;
        lock (_commitLock)
        {
            WriteCheckpoint(completed);
        }

        return Outcome(completed, interrupted, failure);
    }

    /// <summary>A fresh start, or a resume from the checkpoint; returns the outcome at once when there is nothing to do.</summary>
    private ImportOutcome? Start()
    {
        var checkpoint = _store.Read();
        if (options.Resume && checkpoint is not null)
        {
            if (checkpoint.FileSha256 != _fingerprint || checkpoint.FileBytes != FileBytes)
            {
                throw new ImportFailedException(
                    $"{options.File} changed since {_store.Path} was written. Import it again without --resume: the events already imported keep their ids (their own, or derived from unchanged lines) and are counted once");
            }

            if (checkpoint.Format != options.Format.ToString())
            {
                throw new ImportFailedException($"{_store.Path} was written for format {checkpoint.Format}, not {options.Format}");
            }

            (_offset, _line, _totals, _earlierSeconds, _runs) = (checkpoint.Offset, checkpoint.Line, checkpoint.Totals, checkpoint.Seconds, checkpoint.Runs);
            _runStartTotals = _totals;
            if (checkpoint.Completed)
            {
                messages.WriteLine($"import: {options.File} was imported completely already (checkpoint {_store.Path}); nothing to send");
                return Outcome(completed: true, interrupted: false, failure: null, countRun: false);
            }

            _rejected.ResumeAt(checkpoint.RejectedBytes);
            messages.WriteLine($"import: resuming {options.File} at line {_line} (byte {_offset} of {FileBytes}); {_totals.Records} records done before");
        }
        else
        {
            if (options.Resume)
            {
                messages.WriteLine($"import: no checkpoint at {_store.Path}; starting from the beginning");
            }
            else if (checkpoint is { Completed: false })
            {
                messages.WriteLine($"import: an unfinished import of this file has a checkpoint ({_store.Path}); starting over (--resume would continue it). Events already sent are counted once");
            }

            _rejected.Start();
        }

        StartOffset = _offset;
        _runs++;
        lock (_commitLock)
        {
            WriteCheckpoint(completed: false);
        }

        return null;
    }

    private IRecordSource Open() => options.Format == InputFormat.Csv
        ? new CsvSource(options.File, _offset, _line)
        : new NdjsonSource(options.File, _offset, _line);

    /// <summary>Reads records into chunks; a chunk is closed when full, its end being where the next record starts.</summary>
    private async Task ReadAsync(IRecordSource source, ChannelWriter<(ImportChunk, int, int)> bulks, CancellationToken cancellationToken)
    {
        var record = new SourceRecord();
        var sequence = 0L;
        ImportChunk? chunk = null;
        while (source.Read(record))
        {
            if (chunk is not null && (chunk.Records >= options.Window || chunk.Bytes >= ImportChunk.MaxBytes))
            {
                (chunk.EndOffset, chunk.EndLine) = (record.Offset, record.Line);
                await DispatchAsync(chunk, bulks, cancellationToken);
                chunk = null;
            }

            if (chunk is null)
            {
                await _chunks.WaitAsync(cancellationToken);
                lock (_commitLock)
                {
                    chunk = _pool.Pop();
                }

                chunk.Reset(sequence++, record.Offset);
            }

            if (record.Error is { } error)
            {
                chunk.AddRefused(new Rejection(record.Line, error, null, null, record.Raw));
            }
            else
            {
                chunk.AddEvent(record.Json.WrittenSpan, record.Line, record.CustomerKey);
            }
        }

        if (chunk is not null)
        {
            (chunk.EndOffset, chunk.EndLine) = (source.EndOffset, source.EndLine);
            await DispatchAsync(chunk, bulks, cancellationToken);
        }

        bulks.TryComplete();
    }

    private async Task DispatchAsync(ImportChunk chunk, ChannelWriter<(ImportChunk, int, int)> bulks, CancellationToken cancellationToken)
    {
        var count = chunk.Group(options.BatchSize);
        if (count == 0)
        {
            Commit(chunk);
            return;
        }

        for (var start = 0; start < chunk.EventCount; start += options.BatchSize)
        {
            await bulks.WriteAsync((chunk, start, Math.Min(options.BatchSize, chunk.EventCount - start)), cancellationToken);
        }
    }

    private async Task WorkAsync(ChannelReader<(ImportChunk Chunk, int Start, int Count)> bulks, CancellationTokenSource stop)
    {
        var batch = new EventBatch();
        var delivery = new BulkDelivery(client, time, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
        try
        {
            await foreach (var (chunk, start, count) in bulks.ReadAllAsync(stop.Token))
            {
                batch.Clear();
                for (var i = start; i < start + count; i++)
                {
                    var index = chunk.Order[i];
                    batch.Add(chunk.EventJson(index), index);
                }

                var outcomes = new BulkOutcomes(this, chunk);
                try
                {
                    await delivery.DeliverAsync(batch, outcomes, stop.Token);
                }
                catch (FlexpriceApiException ex)
                {
                    throw new ImportFailedException($"the server refused the request with {(int)ex.StatusCode}: {ex.Error}");
                }

                if (chunk.BulkDone(outcomes.Sent, outcomes.Duplicates, outcomes.Unreported))
                {
                    Commit(chunk);
                }
            }
        }
        catch (ImportFailedException)
        {
            await stop.CancelAsync();
            throw;
        }
    }

    /// <summary>Marks a chunk done and commits every chunk that now has all its predecessors done.</summary>
    private void Commit(ImportChunk chunk)
    {
        lock (_commitLock)
        {
            _finished.Add(chunk.Sequence, chunk);
            var committed = false;
            while (_finished.Remove(_nextToCommit, out var next))
            {
                next.Rejections.Sort((a, b) => a.Line.CompareTo(b.Line));
                _rejected.Append(next.Rejections);
                _totals = _totals.Add(next);
                Interlocked.Exchange(ref _offset, next.EndOffset);
                Interlocked.Add(ref _sentAtCommit, next.Sent);
                _line = next.EndLine;
                _nextToCommit++;
                _pool.Push(next);
                _chunks.Release();
                committed = true;
            }

            if (committed && time.GetElapsedTime(_lastCheckpoint) >= CheckpointEvery)
            {
                WriteCheckpoint(completed: false);
            }
        }
    }

    private void WriteCheckpoint(bool completed)
    {
        _rejected.Flush();
        _store.Write(new Checkpoint(
            CheckpointStore.Version, Path.GetFullPath(options.File), FileBytes, _fingerprint, options.Format.ToString(),
            _offset, _line, _totals, _rejected.Length, _earlierSeconds + Elapsed.TotalSeconds, _runs, completed, time.GetUtcNow()));
        _lastCheckpoint = time.GetTimestamp();
    }

    private void Say(string message) => messages.WriteLine(message);

    private ImportOutcome Outcome(bool completed, bool interrupted, string? failure, bool countRun = true)
    {
        var runSeconds = Elapsed.TotalSeconds;
        return new ImportOutcome(
            options.File, completed, interrupted, failure, _totals, countRun ? _totals.Records - _runStartTotals.Records : 0, runSeconds,
            _earlierSeconds + (countRun ? runSeconds : 0), _runs, options.RejectedPath, options.CheckpointPath);
    }

    /// <summary>What happens to one bulk's events (and the pieces it may be cut into): counts, and refusals into the chunk.</summary>
    private sealed class BulkOutcomes(ImportRun run, ImportChunk chunk) : IBulkOutcomes
    {
        public long Sent { get; private set; }

        public long Duplicates { get; private set; }

        public long Unreported { get; private set; }

        public void Accepted(EventBatch part, int? duplicates)
        {
            Sent += part.Count;
            if (duplicates is { } d)
            {
                Duplicates += d;
            }
            else
            {
                Unreported += part.Count;
            }

            Interlocked.Add(ref run._sentLive, part.Count);
        }

        public void Refused(EventBatch part, int index, string error, int status) =>
            chunk.AddRejection(new Rejection(chunk.LineOf((int)part.TagAt(index)), error, status, part.EventAt(index).ToArray(), null));

        public void Retrying(SendResult result, int attempt, TimeSpan delay)
        {
            Interlocked.Increment(ref run._retries);
            if (attempt == 3 || attempt % 10 == 0)
            {
                run.Say(
                    $"import: a bulk is not acknowledged yet ({(result.StatusCode == 0 ? "" : $"{result.StatusCode}: ")}{result.Error}); attempt {attempt}, next in {delay.TotalSeconds:F1} s");
            }
        }
    }
}
