using System.Diagnostics;
using System.Globalization;

namespace Flexprice.Bench;

/// <summary>Watches the server (and PostgreSQL, and this generator) while a phase runs.</summary>
public sealed class Sampler : IAsyncDisposable
{
    private readonly int? _serverPid;
    private readonly int? _postgresPid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly double _serverCpu0, _postgresCpu0, _selfCpu0;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _peakRss;

    public Sampler(int? serverPid, int? postgresPid)
    {
        _serverPid = serverPid;
        _postgresPid = postgresPid;
        _serverCpu0 = serverPid is { } s ? Proc.CpuSeconds(s) : 0;
        _postgresCpu0 = postgresPid is { } p ? Proc.CpuSeconds(p, withChildren: true) : 0;
        _selfCpu0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                if (_serverPid is { } pid)
                {
                    _peakRss = Math.Max(_peakRss, Proc.RssBytes(pid));
                }

                try
                {
                    await Task.Delay(200, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
    }

    /// <summary>CPU used over the phase, in cores (1.0 = one core busy all the time); NaN when not watched.</summary>
    public (double Server, double Postgres, double Generator, long PeakRss) Finish()
    {
        _stop.Cancel();
        var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var server = _serverPid is { } s ? (Proc.CpuSeconds(s) - _serverCpu0) / seconds : double.NaN;
        var postgres = _postgresPid is { } p ? (Proc.CpuSeconds(p, withChildren: true) - _postgresCpu0) / seconds : double.NaN;
        var self = (Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - _selfCpu0) / seconds;
        if (_serverPid is { } pid)
        {
            _peakRss = Math.Max(_peakRss, Proc.RssBytes(pid));
        }

        return (server, postgres, self, _peakRss);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop;
        _stop.Dispose();
    }
}
