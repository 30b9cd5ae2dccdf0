using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;

namespace EslCallflow.RealSwitch.Tests.Switch;

/// <summary>
/// A full, blocking garbage collection in the daemon, induced from outside as <c>dotnet-gcdump</c> does: an EventPipe
/// session on the runtime's provider with the GCHeapCollect keyword makes the runtime collect
/// (dotnet/runtime, eventtrace.cpp: <c>ETW::GCLog::ForceGC</c> when a session enables that keyword). After it the
/// daemon's <c>dotnet_gc_live_bytes_at_last_full_gc</c> is its live managed memory now, not whenever gen2 last ran.
/// </summary>
public static class DaemonGc
{
    private const long GcHeapCollectKeyword = 0x800000;

    public static async Task CollectAsync(int pid, CancellationToken cancellationToken)
    {
        var client = new DiagnosticsClient(pid);
        using var session = client.StartEventPipeSession(
            new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GcHeapCollectKeyword), requestRundown: false);
        // The session's stream must be read or the runtime blocks on it; what it carries is not needed.
        var drain = session.EventStream.CopyToAsync(Stream.Null, cancellationToken);
        await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        session.Stop();
        await drain;
    }
}
