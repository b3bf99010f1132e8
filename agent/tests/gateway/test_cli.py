"""Bad command lines get a one-line error and exit code 2."""

import pytest

from dfaas_gateway.cli import main


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--listen", "localhost", "--state-file", "s.json"], "'localhost' is not HOST:PORT"),
        (["--listen", "127.0.0.1:70000", "--state-file", "s.json"], "port 1-65535"),
        (["--state-file", "s.json", "--preload", "figlet,nginx"], "unknown built-in(s) nginx"),
        (["--state-file", "s.json", "--default-timeout", "soon"], "'soon' is not a duration"),
        (["--state-file", "s.json", "--default-max-inflight", "0"], "not a positive integer"),
        (["--state-file", "s.json", "--node-name", " "], "--node-name must not be empty"),
        ([], "--state-file"),
        (["--state-file", "s.json", "--basic-auth-user", "admin"], "go together"),
        (
            ["--state-file", "s.json", "--basic-auth-password-file", "/nonexistent/pw"],
            "go together",
        ),
        (
            [
                "--state-file",
                "s.json",
                "--basic-auth-user",
                "admin",
                "--basic-auth-password-file",
                "/nonexistent/pw",
            ],
            "cannot read password file /nonexistent/pw",
        ),
        (
            [
                "--state-file",
                "s.json",
                "--basic-auth-user",
                "a:b",
                "--basic-auth-password-file",
                "p",
            ],
            "without ':'",
        ),
    ],
)
def test_bad_arguments_exit_2_with_one_line_naming_the_problem(
    arguments: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(arguments)
    error = capsys.readouterr().err
    assert exited.value.code == 2
    assert complaint in error
    assert error.count("\n") == 1
