using System.Text;
using EslCallflow.Records;
using EslCallflow.Delivery;

namespace EslCallflow.Tests;

/// <summary>The pure parts: signature, webhook body, FreeSWITCH headers, the spool on disk.</summary>
public class CallEventFormatTests
{
    private static CallEvent Event(string type, long sequence, string recordId = "rec-1") => new(type, sequence, DateTimeOffset.UnixEpoch, new CallRecord
    {
        RecordId = recordId,
        CallUuid = "call-" + recordId,
        Number = "7000",
        Caller = new CallerInfo("dev1005", true, "Ann\nEvil: header", "1005"),
        StartedAt = DateTimeOffset.UnixEpoch,
        RingAttempts = [new RingAttempt(1, "ring_group", "simultaneous", DateTimeOffset.UnixEpoch, ["dev1001", "dev1002"], [new LeftOut("dev1004", "do not disturb")])],
    });

    [Fact]
    public void The_signature_is_the_hex_hmac_sha256_of_the_body_a_receiver_can_recompute()
    {
        var body = Encoding.UTF8.GetBytes("{\"id\":\"x\"}");
        using var hmac = new System.Security.Cryptography.HMACSHA256(Encoding.UTF8.GetBytes("0123456789abcdef"));

        Assert.Equal("sha256=" + Convert.ToHexStringLower(hmac.ComputeHash(body)), WebhookSignature.Sign("0123456789abcdef", body));
        Assert.True(WebhookSignature.Verify("0123456789abcdef", body, WebhookSignature.Sign("0123456789abcdef", body)));
        Assert.False(WebhookSignature.Verify("0123456789abcdef", Encoding.UTF8.GetBytes("{\"id\":\"y\"}"), WebhookSignature.Sign("0123456789abcdef", body)));
    }

    [Fact]
    public void Custom_data_joins_the_event_in_the_body()
    {
        var json = Event("call.started", 1).ToSpooled().Json;

        var body = CallEventJson.WebhookBody(json, new Dictionary<string, string> { ["account"] = "acme" });

        using var doc = System.Text.Json.JsonDocument.Parse(body);
        Assert.Equal(("acme", "rec-1-1"), (doc.RootElement.GetProperty("custom_data").GetProperty("account").GetString(), doc.RootElement.GetProperty("id").GetString()));
        Assert.Equal(json, CallEventJson.WebhookBody(json, new Dictionary<string, string>()));
    }

    [Fact]
    public void Record_headers_flatten_the_record_on_one_line_each_without_unique_id()
    {
        var headers = FreeSwitchEventHeaders.From(Event("call.ringing", 2).ToSpooled().Json, FreeSwitchEventHeaderSet.Record).ToDictionary(h => h.Key, h => h.Value);

        Assert.Equal("eslcallflow::call", headers["Event-Subclass"]);
        Assert.Equal(("call.ringing", "2", "call-rec-1"), (headers["Eslcallflow-Event"], headers["Eslcallflow-Sequence"], headers["Eslcallflow-Call-Uuid"]));
        Assert.Equal("dev1001,dev1002", headers["Eslcallflow-Ring-Attempts-1-Rung"]);
        Assert.Equal("do not disturb", headers["Eslcallflow-Ring-Attempts-1-Left-Out-1-Reason"]);
        Assert.Equal("Ann Evil: header", headers["Eslcallflow-Caller-Caller-Id-Name"]);
        Assert.DoesNotContain(headers.Keys, k => k.Equals("Unique-ID", StringComparison.OrdinalIgnoreCase));
        Assert.All(headers.Values, v => Assert.DoesNotContain('\n', v));
    }

    [Fact]
    public void Key_headers_are_the_fields_to_filter_on_and_the_record_stays_in_the_body()
    {
        var json = Event("call.ringing", 2).ToSpooled().Json;

        var headers = FreeSwitchEventHeaders.From(json);

        Assert.Equal(
            ["Event-Subclass", "Eslcallflow-Event", "Eslcallflow-Call-Uuid"],
            headers.Select(h => h.Key));
        Assert.Equal(("eslcallflow::call", "call.ringing", "call-rec-1"), (headers[0].Value, headers[1].Value, headers[2].Value));
        // Everything the whole-record form carries is a fraction of the bytes FreeSWITCH reads one at a time.
        var recordBytes = FreeSwitchEventHeaders.From(json, FreeSwitchEventHeaderSet.Record).Sum(h => h.Key.Length + h.Value.Length + 3);
        Assert.True(headers.Sum(h => h.Key.Length + h.Value.Length + 3) * 4 < recordBytes);
    }

    [Fact]
    public void The_spool_gives_back_what_is_not_acknowledged_in_order_and_drops_a_cut_line()
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-spool").FullName;
        var events = Enumerable.Range(1, 5).Select(i => Event("call.ringing", i).ToSpooled()).ToList();
        using (var spool = EventSpool.Open(folder, out var none, out _))
        {
            Assert.Empty(none);
            var entries = spool.Append(events, out var failure);
            Assert.Null(failure);
            Assert.Equal(events, entries.Select(spool.Read));
            spool.Ack(entries[0], events[0].Id);
            spool.Ack(entries[2], events[2].Id);
        }
        File.AppendAllText(Directory.GetFiles(folder, "*.events").Single(), "{\"id\":\"cut");

        using var reopened = EventSpool.Open(folder, out var pending, out var unreadable);

        Assert.Equal([events[1], events[3], events[4]], pending.Select(p => reopened.Read(p.At)));
        Assert.All(pending, p => Assert.Equal("rec-1", p.RecordId));
        Assert.Equal(1, unreadable);
        foreach (var (_, at) in pending)
        {
            reopened.Ack(at, reopened.Read(at)!.Id);
        }
        reopened.Dispose();
        using var third = EventSpool.Open(folder, out var nothing, out _);
        Assert.Empty(nothing);
        Assert.Empty(Directory.GetFiles(folder, "00000001.*"));
    }

    [Fact]
    public void Events_the_disk_refuses_are_kept_in_memory_and_still_read_back()
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-spool-gone").FullName;
        var events = Enumerable.Range(1, 3).Select(i => Event("call.ringing", i).ToSpooled()).ToList();
        using var spool = EventSpool.Open(folder, out _, out _);
        Directory.Delete(folder);

        var entries = spool.Append(events, out var failure);

        Assert.NotNull(failure);
        Assert.All(entries, e => Assert.True(e.InMemory));
        Assert.Equal(events, entries.Select(spool.Read));
        spool.Ack(entries[0], events[0].Id);
        Assert.Null(spool.Read(entries[0]));
    }

    [Fact]
    public void A_spooled_event_reads_back_only_when_it_is_one_whole_event()
    {
        var json = Event("call.ended", 4).ToSpooled().Json;

        Assert.Equal(Event("call.ended", 4).ToSpooled(), CallEventJson.FromUtf8(Encoding.UTF8.GetBytes(json)));
        Assert.Null(CallEventJson.FromUtf8(Encoding.UTF8.GetBytes(json[..^1])));
        Assert.Null(CallEventJson.FromUtf8(Encoding.UTF8.GetBytes(json + "{}")));
        Assert.Null(CallEventJson.FromUtf8(Encoding.UTF8.GetBytes(json.Replace("\"record_id\"", "\"other\"", StringComparison.Ordinal))));
        Assert.Null(CallEventJson.FromUtf8("[]"u8));
    }

    [Fact]
    public void Failed_events_go_to_failed_jsonl_even_after_it_was_moved_away_and_it_rotates_at_its_size_limit()
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-failed").FullName;
        var path = Path.Combine(folder, "failed.jsonl");
        var evt = Event("call.ended", 4).ToSpooled();
        using var failed = new FailedEventLog(folder, 4096, TimeProvider.System);

        failed.Write([evt, evt], "queue_full", "10 events already waiting");
        File.Move(path, Path.Combine(folder, "taken.jsonl"));
        failed.Write(evt, "rejected", "HTTP 422");

        using var line = System.Text.Json.JsonDocument.Parse(Assert.Single(File.ReadAllLines(path)));
        Assert.Equal(("rejected", "HTTP 422", evt.Id), (line.RootElement.GetProperty("reason").GetString(), line.RootElement.GetProperty("detail").GetString(), line.RootElement.GetProperty("event").GetProperty("id").GetString()));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(folder, "taken.jsonl")).Length);
        for (var i = 0; i < 10; i++)
        {
            failed.Write(evt, "expired", "too old");
        }
        Assert.True(new FileInfo(path).Length <= 4096);
        Assert.NotEmpty(File.ReadAllLines(Path.Combine(folder, "failed.1.jsonl")));
    }
}
