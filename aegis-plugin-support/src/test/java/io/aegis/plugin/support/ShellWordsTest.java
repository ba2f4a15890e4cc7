package io.aegis.plugin.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The one rule for splitting a command string: a POSIX shell's quoting without its expansions. Merged from the
 * script checker's {@code ShellWordsTest} and the process runtime's {@code CommandLineTest}; the tests under
 * "where the two rules disagreed" pin the behaviour chosen for the cases the two used to split differently.
 */
class ShellWordsTest {

    @Test
    void splitsOnAnyRunOfWhitespace() {
        assertThat(ShellWords.split("  -Service\tExampleService \n -Timeout   5 ")).containsExactly(
                "-Service", "ExampleService", "-Timeout", "5");
        assertThat(ShellWords.split("  java  -jar\tapp.jar \n")).containsExactly("java", "-jar", "app.jar");
    }

    @Test
    void givesNoWordsForBlankText() {
        assertThat(ShellWords.split("   ")).isEmpty();
        assertThat(ShellWords.split("")).isEmpty();
    }

    @Test
    void keepsEverythingInsideSingleQuotesLiterally() {
        assertThat(ShellWords.split("'a \"b\" \\c $d'")).containsExactly("a \"b\" \\c $d");
        assertThat(ShellWords.split("echo 'a  \"b\" \\ $c'")).containsExactly("echo", "a  \"b\" \\ $c");
    }

    @Test
    void unescapesOnlyQuoteBackslashDollarAndBacktickInsideDoubleQuotes() {
        assertThat(ShellWords.split("\"say \\\"hi\\\" \\\\ \\$HOME \\` C:\\dir\"")).containsExactly(
                "say \"hi\" \\ $HOME ` C:\\dir");
        assertThat(ShellWords.split("echo \"my app \\\"x\\\" \\\\ \\n\"")).containsExactly("echo", "my app \"x\" \\ \\n");
    }

    @Test
    void makesTheNextCharacterLiteralAfterABackslashOutsideQuotes() {
        assertThat(ShellWords.split("two\\ words \\'quoted\\'")).containsExactly("two words", "'quoted'");
    }

    @Test
    void joinsAdjacentQuotedAndUnquotedParts() {
        assertThat(ShellWords.split("--name='a b'\"c\"d")).containsExactly("--name=a bcd");
        assertThat(ShellWords.split("--name='my app'.jar")).containsExactly("--name=my app.jar");
    }

    @Test
    void keepsEmptyQuotedWords() {
        assertThat(ShellWords.split("a '' \"\" b")).containsExactly("a", "", "", "b");
        assertThat(ShellWords.split("prog '' \"\"")).containsExactly("prog", "", "");
    }

    @Test
    void keepsABackslashBeforeAnOrdinaryCharacterSoWindowsPathsSurvive() {
        assertThat(ShellWords.split("C:\\apps\\run.exe")).containsExactly("C:\\apps\\run.exe");
    }

    @Test
    void passesShellOperatorsOnLiterally() {
        assertThat(ShellWords.split("echo $HOME | cat")).containsExactly("echo", "$HOME", "|", "cat");
    }

    @Test
    void rejectsAnUnclosedSingleQuote() {
        assertThatThrownBy(() -> ShellWords.split("a 'b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the single quote at position 3 is not closed");
        assertThatThrownBy(() -> ShellWords.split("java -jar 'my app.jar"))
                .hasMessage("the single quote at position 11 is not closed");
    }

    @Test
    void rejectsAnUnclosedDoubleQuote() {
        assertThatThrownBy(() -> ShellWords.split("-Service \"Example")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the double quote at position 10 is not closed");
    }

    @Test
    void quotesAWordForShSoThatItSurvivesSingleQuotesInside() {
        assertThat(ShellWords.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(ShellWords.split(ShellWords.quote("it's $HOME \\ \"x\""))).containsExactly("it's $HOME \\ \"x\"");
        assertThat(ShellWords.split(ShellWords.quote(""))).containsExactly("");
    }

    // Where the two rules disagreed: the checker followed sh, the process runtime kept every backslash outside
    // quotes and unescaped only \" and \\ inside them.

    @Test
    void keepsATrailingBackslashAsWrittenWhereTheCheckerRejectedIt() {
        assertThat(ShellWords.split("a\\")).containsExactly("a\\");
        assertThat(ShellWords.split("dir C:\\")).containsExactly("dir", "C:\\");
    }

    @Test
    void keepsABackslashBeforeAnOrdinaryCharacterWhereTheCheckerDroppedIt() {
        assertThat(ShellWords.split("\\d+ x\\y")).containsExactly("\\d+", "x\\y");
    }

    @Test
    void escapesWhitespaceQuotesAndShellCharactersOutsideQuotesWhereTheProcessRuntimeKeptTheBackslash() {
        assertThat(ShellWords.split("find . -exec rm {} \\;")).containsExactly("find", ".", "-exec", "rm", "{}", ";");
        assertThat(ShellWords.split("my\\ app.jar \\\"x\\\" \\$HOME \\\\ \\|")).containsExactly(
                "my app.jar", "\"x\"", "$HOME", "\\", "|");
        assertThat(ShellWords.split("\\\\server\\share")).containsExactly("\\server\\share");
    }

    @Test
    void unescapesDollarAndBacktickInsideDoubleQuotesWhereTheProcessRuntimeKeptTheBackslash() {
        assertThat(ShellWords.split("\"\\$HOME \\`date\\`\"")).containsExactly("$HOME `date`");
    }

    @Test
    void joinsLinesEndingInABackslashLikeAShell() {
        assertThat(ShellWords.split("java \\\n  -jar app.jar")).containsExactly("java", "-jar", "app.jar");
        assertThat(ShellWords.split("--a=x\\\ny \"p\\\nq\"")).containsExactly("--a=xy", "pq");
    }
}
