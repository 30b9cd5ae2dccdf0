namespace EslCallflow.Esl.Tests;

public class ControlCharactersTests
{
    [Theory]
    [InlineData("4f1c-9a7e", "4f1c-9a7e")]
    [InlineData("a\nb\r\tc\0", @"a\nb\r\tc\0")]
    [InlineData("\u001b[31mred\u007f", @"\x1B[31mred\x7F")]
    [InlineData("c1\u0085\u009b", @"c1\x85\x9B")]
    [InlineData("line\u2028para\u2029", @"line\u2028para\u2029")]
    [InlineData("evil\u202Etxt.exe\u2066", @"evil\u202Etxt.exe\u2066")]
    [InlineData("Zoë O'Brien \\ 100%", "Zoë O'Brien \\ 100%")]
    public void Control_characters_become_visible_escapes_and_nothing_else_changes(string value, string expected)
    {
        Assert.Equal(expected, ControlCharacters.Escape(value));
        Assert.Equal(value != expected, ControlCharacters.Contains(value));
        Assert.False(ControlCharacters.Contains(ControlCharacters.Escape(value)));
    }

    [Fact]
    public void Text_without_control_characters_is_returned_as_is()
    {
        var text = "sofia/internal/1001@127.0.0.1";
        Assert.Same(text, ControlCharacters.Escape(text));
    }

    [Fact]
    public void Protocol_and_command_errors_carry_wire_text_escaped()
    {
        var buffer = new System.Buffers.ReadOnlySequence<byte>("Content-Type: \u001b]0;owned\u0007\n\n"u8.ToArray());
        var protocol = Assert.Throws<EslProtocolException>(() => Protocol.EslFrameParser.TryParse(ref buffer, Protocol.EslFrameLimits.Default, out _));
        var command = new EslCommandException("api status", "-ERR no\u001b[2J");

        Assert.Equal(@"unknown Content-Type '\x1B]0;owned\x07'", protocol.Message);
        Assert.Equal(@"FreeSWITCH rejected 'api status': -ERR no\x1B[2J", command.Message);
        Assert.Equal("-ERR no\u001b[2J", command.ReplyText);
    }
}
