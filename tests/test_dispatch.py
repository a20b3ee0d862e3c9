"""Runtime ISA selection and build_info."""

from __future__ import annotations

import pytest

import pixnorm
from pixnorm import _core
from test_threads import run_python

KNOWN = ["scalar", "sse41", "avx2", "avx512", "avx512icl", "neon"]


def test_build_info_contents() -> None:
    info = pixnorm.build_info()
    assert info["version"] == pixnorm.__version__
    assert set(info) >= {
        "version",
        "compiler",
        "isas_compiled",
        "isas_supported",
        "isa",
        "threads",
        "num_threads",
        "cpu_features",
    }
    assert info["isa"] in info["isas_supported"]
    assert set(info["isas_supported"]) <= set(info["isas_compiled"]) <= set(KNOWN)
    assert "scalar" in info["isas_supported"]
    assert info["num_threads"] == pixnorm.get_num_threads()
    assert info["threads"] in ("pool", None)


def test_default_is_the_best_supported_isa() -> None:
    out = run_python(
        "import pixnorm; i = pixnorm.build_info(); print(i['isa'], i['isas_supported'][-1])"
    )
    best, last = out.split()
    assert best == last


@pytest.mark.parametrize("name", _core._supported_isas())
def test_environment_forces_each_supported_isa(name: str) -> None:
    assert (
        run_python(
            "import pixnorm; print(pixnorm.build_info()['isa'])", {"PIXNORM_ISA": name}
        ).strip()
        == name
    )


def test_environment_rejects_unknown_and_unsupported_isas() -> None:
    code = """
        try:
            import pixnorm
        except ValueError as e:
            print(e)
    """
    out = run_python(code, {"PIXNORM_ISA": "avx9000"})
    assert "PIXNORM_ISA='avx9000': unknown ISA 'avx9000'; expected one of: scalar, sse41" in out
    missing = [n for n in KNOWN if n not in _core._supported_isas()]
    for name in missing:
        out = run_python(code, {"PIXNORM_ISA": name})
        assert f"PIXNORM_ISA='{name}'" in out and "not" in out


def test_private_setter_rejects_bad_names() -> None:
    with pytest.raises(ValueError, match="unknown ISA"):
        _core._set_isa("AVX2")  # names are lower case
    for name in KNOWN:
        if name not in _core._supported_isas():
            with pytest.raises(ValueError, match="not (compiled|supported)"):
                _core._set_isa(name)
