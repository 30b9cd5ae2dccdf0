using System.ComponentModel.DataAnnotations;

namespace EslCallflow.Delivery;

/// <summary>
/// Where call events go and how patiently (section <c>CallRecords</c>, shared with the records themselves):
/// webhooks, the FreeSWITCH event, the spool.
/// </summary>
public sealed class DeliveryOptions : IValidatableObject
{
    public const string Section = "CallRecords";

    /// <summary>The destination name of the FreeSWITCH CUSTOM event (a webhook cannot take it).</summary>
    public const string FreeSwitchDestination = "freeswitch";

    /// <summary>
    /// Send every event to FreeSWITCH too, as <c>CUSTOM eslcallflow::call</c> on the inbound connection. Off unless
    /// asked for: mod_event_socket reads each command's headers one byte per system call, so the four events of a
    /// call cost FreeSWITCH about 1.2 ms of CPU (4% of an answered call) whether or not any listener follows them,
    /// and the daemon about 2 ms (BENCHMARKS.md, issue 29). Webhooks and the records do not need them.
    /// </summary>
    public bool FreeSwitchEvents { get; set; }

    /// <summary>
    /// The CUSTOM event's headers: <c>Keys</c> (the event, the call UUID and the outcome; the record is in the body) or <c>Record</c> (every field flattened, at a CPU cost to FreeSWITCH for each header byte).
    /// </summary>
    public FreeSwitchEventHeaderSet FreeSwitchEventHeaders { get; set; } = FreeSwitchEventHeaderSet.Keys;

    /// <summary>
    /// Events waiting per destination (in its spool on disk; in memory only their place, a few bytes each). When a
    /// destination has this many, a new event for it is not queued: it is written to that destination's
    /// <c>failed.jsonl</c>, counted (<c>reason="queue_full"</c>) and logged. What is queued stays queued, in order.
    /// </summary>
    [Range(10, 1_000_000)]
    public int MaxPendingEvents { get; set; } = 10_000;

    /// <summary>An event still undelivered this long after it happened is given up (kept in failed.jsonl, counted, logged).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan MaxEventAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Size at which a destination's failed.jsonl is rotated (one older file, failed.1.jsonl, is kept).</summary>
    [Range(1024, 1L << 32)]
    public long MaxFailedFileBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// How long the spool waits after a call event for more before writing and fsyncing them together (one fsync per
    /// destination for all): fewer fsyncs, each event queued for delivery that much later. Zero: at once. At 100
    /// calls/s, 10 ms makes a third of the fsyncs that zero makes (BENCHMARKS.md, issue 19).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan SpoolGatherWindow { get; set; } = TimeSpan.FromMilliseconds(10);

    public List<WebhookOptions> Webhooks { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { FreeSwitchDestination };
        for (var i = 0; i < Webhooks.Count; i++)
        {
            var hook = Webhooks[i];
            var at = $"CallRecords:Webhooks:{i}";
            foreach (var problem in hook.Problems())
            {
                yield return new ValidationResult($"{at} ({hook.Name}): {problem}", [nameof(Webhooks)]);
            }
            if (!string.IsNullOrEmpty(hook.Name) && !names.Add(hook.Name))
            {
                yield return new ValidationResult($"{at}: the name '{hook.Name}' is {(hook.Name.Equals(FreeSwitchDestination, StringComparison.OrdinalIgnoreCase) ? "reserved" : "used twice")}", [nameof(Webhooks)]);
            }
        }
    }
}
