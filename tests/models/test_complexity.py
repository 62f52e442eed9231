from fcad_lib.models import build_model
from fcad_lib.models.complexity import block_table


def test_block_table_accounts_for_every_parameter_in_graph_order():
    model = build_model("fcadensenet", (32, 32, 5), config="tiny")
    table = block_table(model)
    assert int(table["params"].sum()) == model.count_params()
    names = list(table.index)
    assert names[0] == "first_conv" and names[-1] == "classifier"
    assert names.index("down_block0") < names.index("transition_down0") < names.index("up_block0")
    assert any(n.startswith("skip_attention") for n in names)
    assert table.loc["classifier", "output_shape"] == (32, 32, 1)
