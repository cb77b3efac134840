namespace Flexprice.Client.Events;

/// <summary>
/// A bulk request in the making: up to 1,000 events as raw JSON objects, each with a tag of the
/// caller's (a line number, a position in a buffer). Events can be set aside (<see cref="Remove"/>)
/// after the server refused them, and the rest sent again. The buffers are kept and reused, so a
/// batch that is cleared and filled again allocates nothing new.
/// </summary>
public sealed class EventBatch
{
    /// <summary>The most events one bulk request may hold.</summary>
    public const int MaxEvents = 1000;

    private static readonly byte[] Head = "{\"events\":["u8.ToArray();
    private static readonly byte[] Tail = "]}"u8.ToArray();

    private readonly List<(int Start, int Length, long Tag)> _events = new(MaxEvents);
    private byte[] _data = new byte[64 * 1024];
    private int _dataLength;
    private byte[] _body = [];
    private int _bodyLength = -1;

    public int Count => _events.Count;

    /// <summary>The tag given with the event at <paramref name="index"/>.</summary>
    public long TagAt(int index) => _events[index].Tag;

    /// <summary>The JSON of the event at <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> EventAt(int index)
    {
        var (start, length, _) = _events[index];
        return _data.AsSpan(start, length);
    }

    public void Add(ReadOnlySpan<byte> eventJson, long tag)
    {
        eventJson.CopyTo(GetSpan(eventJson.Length));
        Commit(eventJson.Length, tag);
    }

    /// <summary>Room for the next event's JSON; write it there, then <see cref="Commit"/>.</summary>
    public Span<byte> GetSpan(int sizeHint)
    {
        if (_dataLength + sizeHint > _data.Length)
        {
            Array.Resize(ref _data, Math.Max(_data.Length * 2, _dataLength + sizeHint));
        }

        return _data.AsSpan(_dataLength);
    }

    public void Commit(int length, long tag)
    {
        if (_events.Count == MaxEvents)
        {
            throw new InvalidOperationException($"A bulk request holds at most {MaxEvents} events");
        }

        _events.Add((_dataLength, length, tag));
        _dataLength += length;
        _bodyLength = -1;
    }

    /// <summary>Sets aside the events at these indexes; the others keep their order.</summary>
    public void Remove(IEnumerable<int> indexes)
    {
        foreach (var index in indexes.Distinct().OrderDescending())
        {
            _events.RemoveAt(index);
        }

        _bodyLength = -1;
    }

    /// <summary>Keeps only the events at indexes <c>[start, start + count)</c>.</summary>
    public void Keep(int start, int count)
    {
        _events.RemoveRange(start + count, _events.Count - start - count);
        _events.RemoveRange(0, start);
        _bodyLength = -1;
    }

    public void Clear()
    {
        _events.Clear();
        _dataLength = 0;
        _bodyLength = -1;
    }

    /// <summary>The request body <c>{"events":[…]}</c>; valid until the batch changes.</summary>
    public ReadOnlyMemory<byte> Body()
    {
        if (_bodyLength >= 0)
        {
            return _body.AsMemory(0, _bodyLength);
        }

        var size = Head.Length + Tail.Length + Math.Max(0, _events.Count - 1);
        foreach (var e in _events)
        {
            size += e.Length;
        }

        if (_body.Length < size)
        {
            _body = new byte[Math.Max(size, _body.Length * 2)];
        }

        var at = 0;
        Head.CopyTo(_body, at);
        at += Head.Length;
        for (var i = 0; i < _events.Count; i++)
        {
            if (i > 0)
            {
                _body[at++] = (byte)',';
            }

            var (start, length, _) = _events[i];
            Buffer.BlockCopy(_data, start, _body, at, length);
            at += length;
        }

        Tail.CopyTo(_body, at);
        _bodyLength = at + Tail.Length;
        return _body.AsMemory(0, _bodyLength);
    }
}
