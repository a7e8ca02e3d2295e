"""Operations tooling that reads the synthesized cloud assembly: idle cost, architecture diagram.

Plain Python over the JSON in cdk.out: nothing here imports aws_cdk or jsii.
"""
