namespace Flexprice.Importer.Running;

/// <summary>
/// A run of consecutive records held in memory (at most <c>--window</c> records or
/// <see cref="MaxBytes"/> of JSON): their events, the records refused so far, and where the input
/// stands after the run (the resume point). Its events are sent in bulks grouped by customer (see
/// <see cref="Group"/>); it is done when all its bulks are. Chunks are pooled: the importer holds
/// two, which bounds its memory.
/// </summary>
public sealed class ImportChunk
{
    public const int MaxBytes = 32 << 20;

    private readonly List<(int Start, int Length, long Line, ulong Customer)> _events = [];
    private readonly object _lock = new();
    private byte[] _data = new byte[1 << 20];
    private int _dataLength;
    private int _pendingBulks;
    private long _sent, _duplicates, _unreported;

    public long Sequence { get; private set; }

    /// <summary>Records in the chunk: events and records refused before sending.</summary>
    public int Records { get; set; }

    public int EventCount => _events.Count;

    public int Bytes => _dataLength;

    /// <summary>Where the chunk starts and where the next one starts (byte offsets and lines).</summary>
    public long StartOffset { get; set; }

    public long EndOffset { get; set; }

    public long EndLine { get; set; }

    /// <summary>The events' indexes, a customer's events together (in file order), once grouped.</summary>
    public int[] Order { get; private set; } = [];

    /// <summary>Refused records (before sending, or by the server); guarded, since several bulks report at once.</summary>
    public List<Rejection> Rejections { get; } = [];

    public long Sent => Interlocked.Read(ref _sent);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long Unreported => Interlocked.Read(ref _unreported);

    public void Reset(long sequence, long startOffset)
    {
        Sequence = sequence;
        StartOffset = startOffset;
        _events.Clear();
        Rejections.Clear();
        _dataLength = 0;
        Records = 0;
        _sent = _duplicates = _unreported = 0;
    }

    public void AddEvent(ReadOnlySpan<byte> json, long line, ulong customer)
    {
        if (_dataLength + json.Length > _data.Length)
        {
            Array.Resize(ref _data, Math.Max(_data.Length * 2, _dataLength + json.Length));
        }

        json.CopyTo(_data.AsSpan(_dataLength));
        _events.Add((_dataLength, json.Length, line, customer));
        _dataLength += json.Length;
        Records++;
    }

    /// <summary>A record refused before sending (unreadable): counted as a record of the chunk.</summary>
    public void AddRefused(Rejection rejection)
    {
        Records++;
        AddRejection(rejection);
    }

    /// <summary>An event of the chunk refused by the server.</summary>
    public void AddRejection(Rejection rejection)
    {
        lock (_lock)
        {
            Rejections.Add(rejection);
        }
    }

    public ReadOnlySpan<byte> EventJson(int index)
    {
        var (start, length, _, _) = _events[index];
        return _data.AsSpan(start, length);
    }

    public long LineOf(int index) => _events[index].Line;

    /// <summary>
    /// Orders the events so that each customer's are together (customers in order of first
    /// appearance is not needed; file order within a customer is kept), and returns the number of
    /// bulks of at most <paramref name="batchSize"/> events that the order is cut into. The server
    /// works per customer in each bulk (a check and an append per customer), so a bulk of 1000
    /// events of 100 customers costs it far less than one of 1000 customers.
    /// </summary>
    public int Group(int batchSize)
    {
        var keys = new (ulong Customer, int Index)[_events.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = (_events[i].Customer, i);
        }

        Array.Sort(keys);
        Order = [.. keys.Select(k => k.Index)];
        _pendingBulks = (Order.Length + batchSize - 1) / batchSize;
        return _pendingBulks;
    }

    /// <summary>Counts a bulk's acknowledged events; true when it was the chunk's last bulk.</summary>
    public bool BulkDone(long sent, long duplicates, long unreported)
    {
        Interlocked.Add(ref _sent, sent);
        Interlocked.Add(ref _duplicates, duplicates);
        Interlocked.Add(ref _unreported, unreported);
        return Interlocked.Decrement(ref _pendingBulks) == 0;
    }
}
