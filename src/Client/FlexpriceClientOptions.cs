namespace Flexprice.Client;

/// <summary>
/// Settings of the client and its background sender (configuration section <c>Flexprice</c>, then
/// the delegate given to <c>AddFlexpriceClient</c>).
/// </summary>
public sealed class FlexpriceClientOptions
{
    /// <summary>The API's address, e.g. <c>http://127.0.0.1:8080</c>.</summary>
    public Uri BaseAddress { get; set; } = new("http://127.0.0.1:8080");

    /// <summary>Sent as <c>x-api-key</c>.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>How long one attempt of a request may take before it is abandoned (and retried when safe).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Retries of one request inside the HTTP pipeline, on 408, 429, 5xx, no answer and timeouts, for
    /// reads and for event requests (safe: their ids are the client's). Waits for the server's
    /// <c>Retry-After</c> when it gives one, else backs off exponentially with jitter.
    /// </summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>The first backoff delay between retries (doubled each time, with jitter).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between two attempts.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Background sender: the most events in one bulk request (1 to 1,000).</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>Background sender: the longest an event waits for its bulk to fill before it is sent anyway.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Background sender: the most events held in memory, tracked and not yet acknowledged or given up.</summary>
    public int MaxBufferedEvents { get; set; } = 100_000;

    /// <summary>Background sender: what <c>Track</c> does when <see cref="MaxBufferedEvents"/> are held.</summary>
    public BufferFullMode WhenBufferFull { get; set; } = BufferFullMode.Wait;

    /// <summary>Background sender: bulk requests in flight at once.</summary>
    public int MaxConcurrentBulks { get; set; } = 2;

    /// <summary>Background sender: how long disposing it may take to send what it holds; what is left then is counted as failed and logged.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
