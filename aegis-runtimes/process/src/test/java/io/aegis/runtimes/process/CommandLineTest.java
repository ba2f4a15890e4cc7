package io.aegis.runtimes.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CommandLineTest {

    @Test
    void splitsOnRunsOfWhitespace() {
        assertThat(CommandLine.split("  java  -jar\tapp.jar \n")).containsExactly("java", "-jar", "app.jar");
    }

    @Test
    void singleQuotesKeepEverythingInsideAsOneWord() {
        assertThat(CommandLine.split("echo 'a  \"b\" \\ $c'")).containsExactly("echo", "a  \"b\" \\ $c");
    }

    @Test
    void doubleQuotesKeepSpacesAndUnescapeQuotesAndBackslashes() {
        assertThat(CommandLine.split("echo \"my app \\\"x\\\" \\\\ \\n\"")).containsExactly("echo", "my app \"x\" \\ \\n");
    }

    @Test
    void quotedPartsJoinTheWordAroundThem() {
        assertThat(CommandLine.split("--name='my app'.jar")).containsExactly("--name=my app.jar");
    }

    @Test
    void emptyQuotesAreAnEmptyArgument() {
        assertThat(CommandLine.split("prog '' \"\"")).containsExactly("prog", "", "");
    }

    @Test
    void backslashOutsideQuotesIsAnOrdinaryCharacter() {
        assertThat(CommandLine.split("C:\\apps\\run.exe")).containsExactly("C:\\apps\\run.exe");
    }

    @Test
    void shellOperatorsArePassedOnLiterally() {
        assertThat(CommandLine.split("echo $HOME | cat")).containsExactly("echo", "$HOME", "|", "cat");
    }

    @Test
    void anUnclosedQuoteIsRejectedWithASentence() {
        assertThatThrownBy(() -> CommandLine.split("java -jar 'my app.jar"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the closing ' quote is missing in \"java -jar 'my app.jar\"; close it, or write the command as a list");
    }

    @Test
    void shellQuotingSurvivesSingleQuotesInside() {
        assertThat(CommandLine.shellQuote("it's")).isEqualTo("'it'\\''s'");
    }
}
