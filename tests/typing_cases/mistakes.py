"""The common mistakes on images.generate, each as a user would make it: a missing required field, a misspelled
field, a wrong model_type, a value of the wrong type. Same markers as calls.py: a comment line "# E: <mypy's words> |
<pyright's words>" marks the line after it.

tests/test_overlay_typing.py checks that both checkers flag exactly these lines with these words (the quoted field,
where that checker names it), and that each message stays short: mypy at most one line per overload plus its verdict,
pyright at most 3 lines. README "Typing" has the table of what each checker prints, and why a missing field is named
by neither.
"""
# pyright: strict

from imagineo import ImagineoAIClient

client = ImagineoAIClient("https://api.example.com", api_key="sk-...")

# A missing required field (aspect_ratio; prompt).
# E: No overload variant | No overloads for "generate"
client.images.generate(prompt="City", model_type="google-imagen4")
# E: No overload variant | No overloads for "generate"
client.images.generate(prompt="p", model_type="wan-image-2.1", width=64, height=64)
# E: No overload variant | No overloads for "generate"
client.images.generate(model_type="openai")

# A misspelled field.
# E: "widht" for overloaded function "generate" of "Images"; did you mean "width"? | No overloads for "generate"
client.images.generate(prompt="p", widht=512)
# E: "heigth" for overloaded function "generate" of "Images"; did you mean "height"? | No overloads for "generate"
client.images.generate(prompt="p", model_type="openai", heigth=512)

# A model_type that does not exist.
# E: No overload variant | cannot be assigned to parameter "model_type"
client.images.generate(prompt="p", model_type="flux-devv")

# A value of the wrong type.
# E: No overload variant | cannot be assigned to parameter "width" of type "int"
client.images.generate(prompt="p", width="512")
# E: No overload variant | cannot be assigned to parameter "seed" of type "int"
client.images.generate(prompt="p", model_type="flux-kontext-max", seed="1")
