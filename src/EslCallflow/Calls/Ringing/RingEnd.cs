namespace EslCallflow.Calls.Ringing;

/// <summary>How one ring attempt's bridge ended, as <see cref="BridgeWatcher"/> saw it.</summary>
public abstract record RingEnd
{
    private RingEnd()
    {
    }

    /// <summary>A phone answered after <paramref name="Rang"/>; <paramref name="Talk"/> completes when the conversation is over.</summary>
    public sealed record Answered(string Leg, string Device, TimeSpan Rang, Task<TalkEnd> Talk) : RingEnd;

    /// <summary>
    /// Someone intercepted the call (group_pickup): the caller is talking to the picker now. <paramref name="PickerCall"/>
    /// is the picker's own call when a pickup on this daemon won it: the conversation can then be followed.
    /// </summary>
    public sealed record PickedUp(string Picker, string? PickerLeg, string? FromDevice, string? PickerCall) : RingEnd;

    /// <summary>The caller hung up while it rang.</summary>
    public sealed record CallerGone : RingEnd;

    /// <summary>Nobody answered; <paramref name="Cause"/> picks the child once the attempts are used up.</summary>
    public sealed record NotAnswered(string Cause) : RingEnd;
}

/// <summary>How an answered call's conversation ended: how long it lasted, who hung up (<c>caller</c> or the device), and the cause.</summary>
public sealed record TalkEnd(double Seconds, string HungUpBy, string Cause);
