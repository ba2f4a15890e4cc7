package io.aegis.checkers.script;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Splitting {@code metadata.args} the way {@code sh} would, without its expansions. */
class ShellWordsTest {

    @Test
    void splitsOnAnyRunOfWhitespace() {
        assertThat(ShellWords.split("  -Service\tExampleService \n -Timeout   5 ")).containsExactly(
                "-Service", "ExampleService", "-Timeout", "5");
    }

    @Test
    void givesNoWordsForBlankText() {
        assertThat(ShellWords.split("   ")).isEmpty();
    }

    @Test
    void keepsEverythingInsideSingleQuotesLiterally() {
        assertThat(ShellWords.split("'a \"b\" \\c $d'")).containsExactly("a \"b\" \\c $d");
    }

    @Test
    void unescapesOnlyQuoteBackslashDollarAndBacktickInsideDoubleQuotes() {
        assertThat(ShellWords.split("\"say \\\"hi\\\" \\\\ \\$HOME \\` C:\\dir\"")).containsExactly(
                "say \"hi\" \\ $HOME ` C:\\dir");
    }

    @Test
    void makesTheNextCharacterLiteralAfterABackslashOutsideQuotes() {
        assertThat(ShellWords.split("two\\ words \\'quoted\\'")).containsExactly("two words", "'quoted'");
    }

    @Test
    void joinsAdjacentQuotedAndUnquotedParts() {
        assertThat(ShellWords.split("--name='a b'\"c\"d")).containsExactly("--name=a bcd");
    }

    @Test
    void keepsEmptyQuotedWords() {
        assertThat(ShellWords.split("a '' \"\" b")).containsExactly("a", "", "", "b");
    }

    @Test
    void rejectsAnUnclosedSingleQuote() {
        assertThatThrownBy(() -> ShellWords.split("a 'b")).hasMessage("the single quote at position 3 is not closed");
    }

    @Test
    void rejectsATrailingBackslash() {
        assertThatThrownBy(() -> ShellWords.split("a\\")).hasMessage(
                "a backslash ends the text; write \\\\ for a backslash");
    }
}
