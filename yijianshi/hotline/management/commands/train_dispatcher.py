from django.core.management.base import BaseCommand
from sklearn.model_selection import train_test_split

from yijianshi.hotline.dispatch.classifier import train
from yijianshi.hotline.dispatch.training import USE_WORDS, model_path, train_and_save, training_set, word_analyzer


class Command(BaseCommand):
    help = "训练 12345 分拨模型"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=0, help="留出评估的随机种子")

    def handle(self, *args, seed, **options):
        data = training_set()
        self.stdout.write(f"样例：人工编写 {data.from_file} 条，目录生成 {data.from_catalog} 条，"
                          f"话务员分拨记录 {data.from_operators} 条，共 {len(data.examples)} 条")
        # Held-out accuracy on the reviewed examples only: generated texts are too easy to say anything.
        reviewed = data.examples[:data.from_file]
        rest = data.examples[data.from_file:]
        train_part, test_part = train_test_split(reviewed, test_size=0.2, random_state=seed,
                                                 stratify=[c for _, c in reviewed])
        trial = train(train_part + rest, word_analyzer=word_analyzer() if USE_WORDS else None)
        suggestions = trial.suggest_many([text for text, _ in test_part])
        top1 = sum(s[0][0] == code for (_, code), s in zip(test_part, suggestions)) / len(test_part)
        top3 = sum(code in [c for c, _ in s] for (_, code), s in zip(test_part, suggestions)) / len(test_part)
        self.stdout.write(f"留出 20%（{len(test_part)} 条）：top-1 准确率 {top1:.1%}，top-3 准确率 {top3:.1%}")

        model = train_and_save()
        self.stdout.write(self.style.SUCCESS(f"已用全部样例训练并保存：{model_path()}（版本 {model.version}）"))
