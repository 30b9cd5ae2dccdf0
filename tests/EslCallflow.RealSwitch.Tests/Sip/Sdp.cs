using System.Globalization;

namespace EslCallflow.RealSwitch.Tests.Sip;

/// <summary>The session description a phone offers and answers with: PCMU/8000 on its media port (RFC 4566). No RTP is sent.</summary>
public static class Sdp
{
    public static string Audio(int port, long sessionId) => string.Join("\r\n",
        "v=0",
        $"o=- {sessionId.ToString(CultureInfo.InvariantCulture)} {sessionId.ToString(CultureInfo.InvariantCulture)} IN IP4 127.0.0.1",
        "s=-",
        "c=IN IP4 127.0.0.1",
        "t=0 0",
        $"m=audio {port.ToString(CultureInfo.InvariantCulture)} RTP/AVP 0",
        "a=rtpmap:0 PCMU/8000",
        "a=sendrecv",
        string.Empty);
}
