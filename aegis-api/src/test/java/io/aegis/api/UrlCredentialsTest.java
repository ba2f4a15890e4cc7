package io.aegis.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class UrlCredentialsTest {

    @Test
    void masksThePasswordOfTheUserInfoAndKeepsTheUser() {
        assertThat(UrlCredentials.mask("https://alice:s3cret@api.example.com:8443/health?x=1"))
                .isEqualTo("https://alice:***@api.example.com:8443/health?x=1");
    }

    @Test
    void masksUserInfoWithoutAPasswordWholeAsItIsUsuallyAToken() {
        assertThat(UrlCredentials.mask("https://ghp_abcdef@github.example/repo"))
                .isEqualTo("https://***@github.example/repo");
    }

    @Test
    void masksAPasswordThatHoldsAnUnencodedAt() {
        assertThat(UrlCredentials.mask("http://bob:p@ss@host/")).isEqualTo("http://bob:***@host/");
    }

    @Test
    void masksTheValuesOfQueryParametersNamedLikeCredentialsOnly() {
        assertThat(UrlCredentials.mask("http://h/p?token=abc&page=2&X-Amz-Signature=f00&api_key=k1&sig=s&format=json"))
                .isEqualTo("http://h/p?token=***&page=2&X-Amz-Signature=***&api_key=***&sig=***&format=json");
        assertThat(UrlCredentials.mask("http://h/p#access_token=abc&state=x"))
                .isEqualTo("http://h/p#access_token=***&state=x");
    }

    @Test
    void masksEveryUrlQuotedInAMessageAndLeavesTheRestAlone() {
        assertThat(UrlCredentials.mask("cannot get \"http://u:pw@h/a?password=x\": refused; see https://h/b?q=1"))
                .isEqualTo("cannot get \"http://u:***@h/a?password=***\": refused; see https://h/b?q=1");
        assertThat(UrlCredentials.mask("cannot get http://h/a?token=abc: refused (http://h/b?key=k).")).isEqualTo(
                "cannot get http://h/a?token=***: refused (http://h/b?key=***).");
        assertThat(UrlCredentials.mask("token=abc without a URL")).isEqualTo("token=abc without a URL");
    }

    @Test
    void recognisesCredentialNamesWhateverTheirCaseAndSeparators() {
        assertThat(UrlCredentials.isCredentialName("access_token")).isTrue();
        assertThat(UrlCredentials.isCredentialName("X-API-Key")).isTrue();
        assertThat(UrlCredentials.isCredentialName("client_secret")).isTrue();
        assertThat(UrlCredentials.isCredentialName("passwd")).isTrue();
        assertThat(UrlCredentials.isCredentialName("Authorization")).isTrue();
        assertThat(UrlCredentials.isCredentialName("credential")).isTrue();
        assertThat(UrlCredentials.isCredentialName("page")).isFalse();
        assertThat(UrlCredentials.isCredentialName("format")).isFalse();
    }

    @Test
    void turnsUserInfoIntoABasicAuthorizationValuePercentDecoded() {
        URI uri = URI.create("https://al%40ce:p%3Ass@host/x");

        assertThat(UrlCredentials.basicAuthorization(uri)).hasValueSatisfying(value -> assertThat(
                new String(Base64.getDecoder().decode(value.substring("Basic ".length())), StandardCharsets.UTF_8))
                .isEqualTo("al@ce:p:ss"));
        assertThat(UrlCredentials.basicAuthorization(URI.create("https://token@host/"))).hasValue(
                "Basic " + Base64.getEncoder().encodeToString("token:".getBytes(StandardCharsets.UTF_8)));
        assertThat(UrlCredentials.basicAuthorization(URI.create("https://host/"))).isEmpty();
    }

    @Test
    void removesTheUserInfoAndKeepsTheRestAsWritten() {
        assertThat(UrlCredentials.withoutUserInfo(URI.create("https://u:p%40@host:8443/a%20b?q=1#f")))
                .hasToString("https://host:8443/a%20b?q=1#f");
        URI plain = URI.create("https://host/");
        assertThat(UrlCredentials.withoutUserInfo(plain)).isSameAs(plain);
    }
}
